package org.olmo4j.worker;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Test only: {@code -Dolmo4j.test.stuck_at_step=K} makes a rank of this JVM block at step K
 * before its part of the step's first collective, for {@code -Dolmo4j.test.stuck_seconds=S}
 * (default: an hour), once per JVM, while the JVM and its heartbeats stay alive: a rank stuck in
 * a kernel or a dead file system, for the stuck-rank watchdog's tests. Unset (always outside
 * tests): nothing.
 */
final class StuckRank {

  private static final long STEP = Long.getLong("olmo4j.test.stuck_at_step", -1);
  private static final long MILLIS = Long.getLong("olmo4j.test.stuck_seconds", 3600) * 1000;
  private static final AtomicBoolean FIRED = new AtomicBoolean();
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(StuckRank.class);

  private StuckRank() {}

  static void apply(long step, int rank) throws InterruptedException {
    if (step == STEP && FIRED.compareAndSet(false, true)) {
      log.warn("test hook: rank {} blocks at step {} for {} s (at epoch ms {})", rank, step,
          MILLIS / 1000, System.currentTimeMillis());
      Thread.sleep(MILLIS);
      log.warn("test hook: rank {} wakes up at step {}", rank, step);
    }
  }
}
