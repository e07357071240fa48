package org.olmo4j.loader;

import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;

/** The loader's read counter, with waits that wake on each increment instead of sleeping. */
final class WatchedCounter extends LongAdder {

  @Override
  public void increment() {
    super.increment();
    synchronized (this) {
      notifyAll();
    }
  }

  /** True once the count reaches {@code n}; false if it has not within {@code timeout}. */
  synchronized boolean awaitAtLeast(long n, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (sum() < n) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      wait(Math.max(1, left / 1_000_000));
    }
    return true;
  }

  /** The count once no increment has come for {@code quiet}. */
  synchronized long settled(Duration quiet) throws InterruptedException {
    long before = sum();
    while (awaitAtLeast(before + 1, quiet)) {
      before = sum();
    }
    return before;
  }
}
