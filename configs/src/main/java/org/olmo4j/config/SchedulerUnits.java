package org.olmo4j.config;

import com.fasterxml.jackson.annotation.JsonValue;

/** What scheduler.t_warmup, t_max and grad_clip_warmup_steps count, as OLMo's scheduler.units. */
public enum SchedulerUnits {
  STEPS("steps"),
  TOKENS("tokens");

  private final String yamlName;

  SchedulerUnits(String yamlName) {
    this.yamlName = yamlName;
  }

  /** The name used in YAML configs. */
  @JsonValue
  public String yamlName() {
    return yamlName;
  }
}
