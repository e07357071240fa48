package org.olmo4j.data;

import org.olmo4j.config.InstanceFilterConfig;

/**
 * OLMo's instance filter: an instance with a periodic sequence repeated
 * {@code repetition_max_count} times or more is kept in the data order but masked out of the
 * loss (OLMo's {@code instance_mask}). A pure function of the instance's tokens, so every world
 * size and every resume masks the same instances.
 */
public final class InstanceFilter {

  private final int maxPeriod;
  private final int minPeriod;
  private final int maxCount;

  public InstanceFilter(InstanceFilterConfig cfg) {
    this.maxPeriod = cfg.repetitionMaxPeriod();
    this.minPeriod = cfg.repetitionMinPeriod();
    this.maxCount = cfg.repetitionMaxCount();
  }

  /** Whether the instance {@code tokens[offset .. offset + length)} counts in the loss. */
  public boolean keeps(long[] tokens, int offset, int length) {
    for (PeriodicSequences.Repetition r :
        PeriodicSequences.find(tokens, offset, length, maxPeriod, minPeriod)) {
      if (r.times() >= maxCount) {
        return false;
      }
    }
    return true;
  }
}
