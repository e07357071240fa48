package org.olmo4j.worker;

/**
 * Test only: {@code -Dolmo4j.test.step_delay_ms=N} makes every rank of this JVM spend N ms more on
 * its own work in each step, a straggler for the straggler tests. Unset (always outside tests): 0.
 */
final class StepDelay {

  private static final long MILLIS = Long.getLong("olmo4j.test.step_delay_ms", 0);

  private StepDelay() {}

  static void apply() throws InterruptedException {
    if (MILLIS > 0) {
      Thread.sleep(MILLIS);
    }
  }
}
