package org.olmo4j.exchange;

import java.io.IOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads that move bulk bytes for one rank: every send and every receive of a collective runs
 * as its own task, so that all directions and peers progress at once; failures go to the
 * collective's {@link OpProgress}, named after the peer and direction.
 */
final class BulkTasks {

  /** A piece of blocking socket work. */
  interface IoTask {
    void run() throws IOException;
  }

  private final ExecutorService pool;
  private final Peer[] peers;
  private final String who;

  BulkTasks(Peer[] peers, int rank, long generation) {
    this.peers = peers;
    this.who = "rank " + rank + ", generation " + generation;
    AtomicInteger n = new AtomicInteger();
    this.pool = Executors.newFixedThreadPool(Math.max(1, 2 * (peers.length - 1)), r -> {
      Thread t = new Thread(r, "exchange-g" + generation + "-r" + rank + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** Runs {@code task} for the send to (or receive from) {@code peer}, tracked by {@code p}. */
  void submit(OpProgress p, int peer, boolean isSend, IoTask task) {
    p.taskStarted(peer, isSend);
    try {
      pool.execute(() -> {
        try {
          task.run();
        } catch (ExchangeException e) {
          p.fail(e);
        } catch (IOException | RuntimeException e) {
          p.fail(new ExchangeException((isSend ? "sending to " : "receiving from ") + peers[peer]
              + " failed (" + who + "): " + e, e));
        } finally {
          p.taskDone(peer, isSend);
        }
      });
    } catch (RejectedExecutionException e) {
      p.taskDone(peer, isSend);
      p.fail(new ExchangeException("exchange of " + who + " is shut down", e));
    }
  }

  /** Interrupts running tasks (blocked ones fail as their sockets close) and refuses new ones. */
  void shutdown() {
    pool.shutdownNow();
  }

  /** After {@link #shutdown}: true once every task has returned, false if one is still running. */
  boolean awaitStopped(java.time.Duration timeout) {
    try {
      return pool.awaitTermination(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
