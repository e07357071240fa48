package org.olmo4j.exchange;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Progress of one collective on one rank: elements received per peer, send/receive tasks still
 * running, the first failure. The calling thread waits here; tasks and aborts wake it.
 */
final class OpProgress implements BulkReceiver.Progress {

  /** How long a task failure waits for an abort that may explain it (peers close on abort). */
  static final long ABORT_GRACE_NANOS = 500_000_000L;

  private final String name;
  private final Peer[] peers;
  private final long[] expected;
  private final long[] received;
  private final boolean[] sendPending;
  private final long deadline;
  private final long timeoutMillis;
  private final LongSupplier abortedBy;
  private final long generation;
  private int pendingTasks;
  private ExchangeException failure;
  private long failureSeenAt;
  private boolean failureSeen;

  OpProgress(String name, Peer[] peers, long[] expected, long generation, long timeoutMillis,
      LongSupplier abortedBy) {
    this.name = name;
    this.peers = peers;
    this.expected = expected;
    this.received = new long[expected.length];
    this.sendPending = new boolean[expected.length];
    this.generation = generation;
    this.timeoutMillis = timeoutMillis;
    this.deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    this.abortedBy = abortedBy;
  }

  synchronized void taskStarted(int peerRank, boolean isSend) {
    pendingTasks++;
    if (isSend) {
      sendPending[peerRank] = true;
    }
  }

  synchronized void taskDone(int peerRank, boolean isSend) {
    pendingTasks--;
    if (isSend) {
      sendPending[peerRank] = false;
    }
    if (pendingTasks == 0) {
      notifyAll();
    }
  }

  // Counted for the timeout message only: nobody waits for it, so nobody is woken (a needless
  // wake-up is a context switch taken from the socket threads on a small machine).
  @Override
  public synchronized void advance(int peerRank, int n) {
    received[peerRank] += n;
  }

  synchronized void fail(ExchangeException e) {
    if (failure == null) {
      failure = e;
    }
    notifyAll();
  }

  /** Throws if the operation was aborted or has failed (for helpers waiting outside this object). */
  synchronized void checkRunning() {
    long aborted = abortedBy.getAsLong();
    if (aborted >= 0) {
      throw new ExchangeAbortedException(generation, aborted);
    }
    if (failure != null) {
      throw failure;
    }
  }

  synchronized void wake() {
    notifyAll();
  }

  /** Waits until every send and receive task has finished. */
  synchronized void awaitDone() {
    while (failure != null || pendingTasks > 0) {
      waitOnce();
    }
  }

  private void waitOnce() {
    checkAbortOrFailure();
    long now = System.nanoTime();
    long until = failure != null ? failureSeenAt + ABORT_GRACE_NANOS : deadline;
    if (now >= until) {
      throw failure != null ? failure : timeout();
    }
    try {
      wait(Math.max(1, (until - now) / 1_000_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ExchangeException("interrupted in " + name, e);
    }
    checkAbortOrFailure();
  }

  private void checkAbortOrFailure() {
    long aborted = abortedBy.getAsLong();
    if (aborted >= 0) {
      throw new ExchangeAbortedException(generation, aborted);
    }
    if (failure != null && !failureSeen) {
      failureSeen = true;
      failureSeenAt = System.nanoTime();
    }
  }

  private ExchangeException timeout() {
    List<String> late = new ArrayList<>();
    for (int r = 0; r < expected.length; r++) {
      if (received[r] < expected[r]) {
        late.add("no data from " + peers[r] + " (received " + received[r] + " of " + expected[r]
            + " elements)");
      }
      if (sendPending[r]) {
        late.add("send to " + peers[r] + " not finished");
      }
    }
    return new ExchangeException("timed out after " + timeoutMillis + " ms in " + name + ": "
        + String.join("; ", late));
  }
}
