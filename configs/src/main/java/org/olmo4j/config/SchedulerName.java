package org.olmo4j.config;

import com.fasterxml.jackson.annotation.JsonValue;

/** LR schedule, as OLMo's scheduler.name. */
public enum SchedulerName {
  COSINE_WITH_WARMUP("cosine_with_warmup"),
  LINEAR_WITH_WARMUP("linear_with_warmup"),
  INVERSE_SQRT_WITH_WARMUP("inverse_sqrt_with_warmup"),
  CONSTANT("constant");

  private final String yamlName;

  SchedulerName(String yamlName) {
    this.yamlName = yamlName;
  }

  /** The name used in YAML configs. */
  @JsonValue
  public String yamlName() {
    return yamlName;
  }
}
