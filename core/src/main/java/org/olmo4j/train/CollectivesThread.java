package org.olmo4j.train;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The thread a FULL_SHARD step runs its collectives on, in the order the computing thread issues
 * them (the same on every rank), with the two times the step reports: the collectives' own time,
 * and how long the computing thread waited for them (exposed communication).
 *
 * <p>Reductions are remembered until awaited: a step waits for them before it reads its gradient
 * shard, and before it writes again what one of them reads.
 */
final class CollectivesThread {

  private final ExecutorService thread;
  private final Deque<Future<?>> reductions = new ArrayDeque<>();
  /** Written by the collectives thread; read once its work is awaited. */
  private long collectiveNanos;
  private long waitNanos;

  CollectivesThread(int rank) {
    this.thread = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "full-shard-collectives-" + rank);
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts a step's times. */
  void resetTimes() {
    waitNanos = 0;
    collectiveNanos = 0;
  }

  long waitNanos() {
    return waitNanos;
  }

  long collectiveNanos() {
    return collectiveNanos;
  }

  /** Queues {@code collective}, timed as collective time. */
  <T> Future<T> submit(Callable<T> collective) {
    return thread.submit(() -> {
      long c = System.nanoTime();
      try {
        return collective.call();
      } finally {
        collectiveNanos += System.nanoTime() - c;
      }
    });
  }

  /** Queues {@code reduction}, remembered until {@link #awaitReductions}; also returned. */
  Future<?> reduce(Runnable reduction) {
    Future<?> f = submit(() -> {
      reduction.run();
      return null;
    });
    reductions.addLast(f);
    return f;
  }

  /** Waits for every reduction issued so far (and so for everything issued before them). */
  void awaitReductions() {
    while (!reductions.isEmpty()) {
      await(reductions.removeFirst());
    }
  }

  /** {@code f}'s result; the wait is timed as exposed. A collective's failure is rethrown. */
  <T> T await(Future<T> f) {
    long w = System.nanoTime();
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a collective", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    } finally {
      waitNanos += System.nanoTime() - w;
    }
  }

  /** After a failure: cancels the reductions not yet started. */
  void cancelReductions() {
    reductions.forEach(f -> f.cancel(false));
  }

  /**
   * After {@link #cancelReductions}: forgets every reduction, the errors of those not cancelled
   * joining {@code cause} (waiting for them up to 30 s). One cancelled while it ran reads as
   * cancelled and is not waited for: what it reads must stay until the thread has stopped.
   */
  void forgetReductions(Throwable cause) {
    for (Future<?> r : reductions) {
      if (!r.isCancelled()) {
        try {
          r.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
          cause.addSuppressed(e);
        }
      }
    }
    reductions.clear();
  }

  /** Stops the thread (interrupting what runs); whether it stopped within {@code wait}. */
  boolean stop(Duration wait) {
    thread.shutdownNow();
    try {
      return thread.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
