package org.olmo4j.config;

/**
 * OLMo's {@code data.instance_filter}: an instance holding a token n-gram of period
 * {@code [repetition_min_period, repetition_max_period]} repeated {@code repetition_max_count}
 * times or more is masked out of the loss. A key left out takes OLMo's default (13, 1, 32).
 */
public record InstanceFilterConfig(
    Integer repetitionMaxPeriod, Integer repetitionMinPeriod, Integer repetitionMaxCount) {

  public InstanceFilterConfig {
    repetitionMaxPeriod = repetitionMaxPeriod != null ? repetitionMaxPeriod : 13;
    repetitionMinPeriod = repetitionMinPeriod != null ? repetitionMinPeriod : 1;
    repetitionMaxCount = repetitionMaxCount != null ? repetitionMaxCount : 32;
  }
}
