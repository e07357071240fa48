package org.olmo4j.exchange;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Rendezvous of the ranks of one in-process world (threads of one JVM) for one generation.
 *
 * <p>Each collective is two barriers: all ranks deposit their inputs, each computes its own result
 * from all inputs in rank order, then all wait until everyone has read before any input may change.
 */
public final class InProcessGroup {

  /** What one rank brings to a collective. */
  record Contribution(OpKind op, DType dtype, long total, Object data) {}

  private final int worldSize;
  private final long generation;
  private final long timeoutNanos;
  private final InProcessExchange[] members;
  private final Contribution[] slots;
  private long cycle;
  private int arrived;
  private int departed;
  /** Ranks between the return of {@link #arrive} and {@link #doneReading}: reading others' inputs. */
  private int readers;
  private long abortedBy = -1;
  private String brokenReason;

  private InProcessGroup(int worldSize, long generation, Duration timeout) {
    if (worldSize < 1) {
      throw new IllegalArgumentException("world size must be >= 1, got " + worldSize);
    }
    this.worldSize = worldSize;
    this.generation = generation;
    this.timeoutNanos = timeout.toNanos();
    this.members = new InProcessExchange[worldSize];
    this.slots = new Contribution[worldSize];
  }

  /** A new world of {@code worldSize} ranks for {@code generation}. */
  public static InProcessGroup newWorld(int worldSize, long generation, ExchangeOptions options) {
    return new InProcessGroup(worldSize, generation, options.timeout());
  }

  /** The exchange of {@code rank}; each rank is handed out once. */
  public synchronized InProcessExchange exchange(int rank) {
    if (rank < 0 || rank >= worldSize) {
      throw new IllegalArgumentException("rank " + rank + " outside world of " + worldSize);
    }
    if (members[rank] != null) {
      throw new IllegalStateException("rank " + rank + " of generation " + generation
          + " already has its exchange");
    }
    members[rank] = new InProcessExchange(this, rank);
    return members[rank];
  }

  /** All exchanges of the world, rank order. */
  public List<TensorExchange> exchanges() {
    List<TensorExchange> all = new ArrayList<>();
    for (int r = 0; r < worldSize; r++) {
      all.add(exchange(r));
    }
    return all;
  }

  int worldSize() {
    return worldSize;
  }

  long generation() {
    return generation;
  }

  /** Deposits {@code mine} and returns every rank's contribution once all have arrived. */
  synchronized Contribution[] arrive(int rank, Contribution mine) {
    checkUsable();
    long myCycle = cycle;
    slots[rank] = mine;
    arrived++;
    notifyAll();
    long deadline = System.nanoTime() + timeoutNanos;
    while (!(cycle == myCycle && arrived == worldSize)) {
      awaitOrFail(deadline, mine.op());
    }
    Contribution[] all = slots.clone();
    for (int r = 0; r < worldSize; r++) {
      checkMatches(all[0], 0, all[r], r);
    }
    readers++;
    return all;
  }

  /** This rank has finished reading the contributions {@link #arrive} returned. */
  synchronized void doneReading() {
    readers--;
    notifyAll();
  }

  /** True once no rank reads another's contribution (after an abort or a leave), within {@code timeout}. */
  synchronized boolean awaitNoReaders(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (readers > 0) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      try {
        wait(Math.max(1, left / 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  /** Waits until every rank has read the contributions of this cycle. */
  synchronized void depart(OpKind op) {
    checkUsable();
    long myCycle = cycle;
    departed++;
    if (departed == worldSize) {
      cycle++;
      arrived = 0;
      departed = 0;
      java.util.Arrays.fill(slots, null);
      notifyAll();
      return;
    }
    long deadline = System.nanoTime() + timeoutNanos;
    while (cycle == myCycle) {
      awaitOrFail(deadline, op);
    }
  }

  synchronized void abort(long newGeneration) {
    if (newGeneration <= generation) {
      throw new IllegalArgumentException("new generation " + newGeneration
          + " must be newer than " + generation);
    }
    if (abortedBy < 0) {
      abortedBy = newGeneration;
    }
    notifyAll();
  }

  synchronized void leave(int rank) {
    if (brokenReason == null && abortedBy < 0) {
      brokenReason = "rank " + rank + " (in-process) left the world of generation " + generation;
    }
    notifyAll();
  }

  private void checkUsable() {
    if (abortedBy >= 0) {
      throw new ExchangeAbortedException(generation, abortedBy);
    }
    if (brokenReason != null) {
      throw new ExchangeException(brokenReason);
    }
  }

  private void awaitOrFail(long deadline, OpKind op) {
    checkUsable();
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      brokenReason = "timed out after " + Duration.ofNanos(timeoutNanos).toMillis()
          + " ms in " + op + " (generation " + generation + ") waiting for " + missing();
      notifyAll();
      throw new ExchangeException(brokenReason);
    }
    try {
      wait(Math.max(1, left / 1_000_000), 0);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ExchangeException("interrupted in " + op + " (generation " + generation + ")", e);
    }
    checkUsable();
  }

  private String missing() {
    List<String> out = new ArrayList<>();
    for (int r = 0; r < worldSize; r++) {
      if (slots[r] == null) {
        out.add("rank " + r);
      }
    }
    return String.join(", ", out);
  }

  private void checkMatches(Contribution first, int firstRank, Contribution other, int rank) {
    if (other.op() != first.op() || other.dtype() != first.dtype() || other.total() != first.total()) {
      brokenReason = "rank " + rank + " called " + other.op() + " " + other.dtype() + " of "
          + other.total() + " elements while rank " + firstRank + " called " + first.op() + " "
          + first.dtype() + " of " + first.total() + " elements (generation " + generation + ")";
      notifyAll();
      throw new ExchangeException(brokenReason);
    }
  }
}
