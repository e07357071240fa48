package org.olmo4j.worker;

/**
 * Test only: {@code -Dolmo4j.test.halt_before_join=true} halts this JVM (exit code 137, as after
 * kill -9) when one of its ranks is about to join its world: a node that dies after it was
 * assigned a world and before it joined it, while the world's other ranks wait in their join.
 * Unset (always outside tests): nothing.
 */
final class HaltBeforeJoin {

  private static final boolean HALT = Boolean.getBoolean("olmo4j.test.halt_before_join");
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(HaltBeforeJoin.class);

  private HaltBeforeJoin() {}

  static void apply(long generation, int rank) {
    if (HALT) {
      log.warn("test hook: rank {} halts before joining generation {}", rank, generation);
      Runtime.getRuntime().halt(137);
    }
  }
}
