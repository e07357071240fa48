package org.olmo4j.worker;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.olmo4j.model.FlatVector;
import org.olmo4j.train.Collectives;

/**
 * The data plane as a step sees it, timed: how long this rank waited for collectives in a step,
 * which the coordinator reports as the rank's wait (README: Stragglers).
 *
 * <p>When one thread runs every collective of the step (SHARD_GRAD_OP), the step waits exactly
 * while it is inside them: the transfers, and waiting for the ranks that arrive later. This
 * measures that here, around every call, because ZeroStep counts its first all-reduce (the
 * tokens of the step) as compute: a rank that starts a step late, e.g. after a slow read of its
 * micro-batches, would otherwise show up as the others' compute. When collectives run on another
 * thread too (FULL_SHARD overlaps them with compute), time inside them is not time waited, and
 * the step's own measure of its exposed wait stands.
 *
 * <p>HYBRID_SHARD's step uses two groups; {@link #alongside} times the second on this clock, so
 * that both groups' collectives count (waits and the stuck-rank watchdog's progress).
 */
final class CollectiveClock implements Collectives {

  private final Collectives inner;
  private final AtomicLong nanos = new AtomicLong();
  /** Collectives this rank has entered in this world, and is inside now (progress reports). */
  private final AtomicLong entered = new AtomicLong();
  private final AtomicInteger inside = new AtomicInteger();
  /** The thread of this lap's first collective. */
  private final AtomicReference<Thread> caller = new AtomicReference<>();
  /** Some collective of this lap ran on another thread than the first. */
  private volatile boolean overlapped;

  CollectiveClock(Collectives inner) {
    this.inner = new Timed(inner);
  }

  /** {@code other} (another group of this rank), its collectives timed and counted here. */
  Collectives alongside(Collectives other) {
    return new Timed(other);
  }

  /**
   * Seconds the step waited for collectives since the previous lap, and starts the next lap.
   *
   * @param stepsOwn the step's own measure of its exposed wait, used when collectives ran on
   *     more than one thread
   */
  double lap(double stepsOwn) {
    boolean several = overlapped;
    overlapped = false;
    caller.set(null);
    double measured = nanos.getAndSet(0) / 1e9;
    return several ? stepsOwn : measured;
  }

  /** Collectives entered so far in this world. */
  long entered() {
    return entered.get();
  }

  /** Collectives this rank is inside now (waiting for peers or transferring). */
  int inside() {
    return inside.get();
  }

  @Override
  public int rank() {
    return inner.rank();
  }

  @Override
  public int worldSize() {
    return inner.worldSize();
  }

  @Override
  public void reduceScatter(FlatVector full, float[] myShard) {
    inner.reduceScatter(full, myShard);
  }

  @Override
  public void reduceScatterAdd(FlatVector full, float[] acc, int at) {
    inner.reduceScatterAdd(full, acc, at);
  }

  @Override
  public void allGatherInPlace(FlatVector full) {
    inner.allGatherInPlace(full);
  }

  @Override
  public double[] allReduceSum(double[] values) {
    return inner.allReduceSum(values);
  }

  /** One group's collectives, timed and counted on this clock. */
  private final class Timed implements Collectives {
    private final Collectives group;

    Timed(Collectives group) {
      this.group = group;
    }

    @Override
    public int rank() {
      return group.rank();
    }

    @Override
    public int worldSize() {
      return group.worldSize();
    }

    @Override
    public void reduceScatter(FlatVector full, float[] myShard) {
      long t0 = enter();
      try {
        group.reduceScatter(full, myShard);
      } finally {
        record(t0);
      }
    }

    @Override
    public void reduceScatterAdd(FlatVector full, float[] acc, int at) {
      long t0 = enter();
      try {
        group.reduceScatterAdd(full, acc, at);
      } finally {
        record(t0);
      }
    }

    @Override
    public void allGatherInPlace(FlatVector full) {
      long t0 = enter();
      try {
        group.allGatherInPlace(full);
      } finally {
        record(t0);
      }
    }

    @Override
    public double[] allReduceSum(double[] values) {
      long t0 = enter();
      try {
        return group.allReduceSum(values);
      } finally {
        record(t0);
      }
    }
  }

  private long enter() {
    entered.incrementAndGet();
    inside.incrementAndGet();
    return System.nanoTime();
  }

  private void record(long t0) {
    inside.decrementAndGet();
    nanos.addAndGet(System.nanoTime() - t0);
    Thread self = Thread.currentThread();
    if (!caller.compareAndSet(null, self) && caller.get() != self) {
      overlapped = true;
    }
  }
}
