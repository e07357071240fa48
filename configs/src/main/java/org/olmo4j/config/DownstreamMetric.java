package org.olmo4j.config;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * How a multiple-choice task picks or scores its answer, as in OLMo's {@code ICLMetric}:
 * {@code acc} (sum of log-probs), {@code len_norm} (per character), {@code pmi_dc}
 * (log P(cont|ctx) − log P(cont|unconditional prefix)), {@code bpb} (bits per byte of the gold).
 */
public enum DownstreamMetric {
  ACC("acc"),
  LEN_NORM("len_norm"),
  PMI_DC("pmi_dc"),
  BPB("bpb");

  private final String yamlName;

  DownstreamMetric(String yamlName) {
    this.yamlName = yamlName;
  }

  /** The name used in YAML configs and metric names ({@code eval/downstream/{task}_{metric}}). */
  @JsonValue
  public String yamlName() {
    return yamlName;
  }
}
