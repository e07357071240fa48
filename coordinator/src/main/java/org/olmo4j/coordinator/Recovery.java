package org.olmo4j.coordinator;

/**
 * Timing of one recovery, from the moment the coordinator learned of the failure: re-forming
 * the world, loading the shards, running the first step. (Failure detection itself happens
 * before: Pekko's failure detector and the exchange timeouts.)
 */
record Recovery(String reason, long detectedNanos, long reformedNanos, long loadedNanos,
    long detectedEpochMillis) {

  static Recovery detected(String reason) {
    return new Recovery(reason, System.nanoTime(), 0, 0, System.currentTimeMillis());
  }

  Recovery reformed() {
    return new Recovery(reason, detectedNanos, System.nanoTime(), 0, detectedEpochMillis);
  }

  Recovery loaded() {
    return new Recovery(reason, detectedNanos, reformedNanos, System.nanoTime(), detectedEpochMillis);
  }

  /** Wall-clock milliseconds at which the world was re-formed (for world.json). */
  long reformedEpochMillis() {
    return detectedEpochMillis + (reformedNanos - detectedNanos) / 1_000_000;
  }

  /** A one-line summary, at the first completed step of the new world. */
  String firstStepDone() {
    long now = System.nanoTime();
    long reformed = reformedNanos == 0 ? now : reformedNanos;
    long loaded = loadedNanos == 0 ? now : loadedNanos;
    return String.format("%s; waiting/re-forming %.2f s, loading shards %.2f s, first step %.2f s "
            + "(%.2f s from detection to the first completed step)", reason,
        (reformed - detectedNanos) / 1e9, (loaded - reformed) / 1e9, (now - loaded) / 1e9,
        (now - detectedNanos) / 1e9);
  }
}
