package org.olmo4j.config;

import com.fasterxml.jackson.annotation.JsonValue;

/** Optimizer, as OLMo's optimizer.name. */
public enum OptimizerName {
  ADAMW("adamw");

  private final String yamlName;

  OptimizerName(String yamlName) {
    this.yamlName = yamlName;
  }

  /** The name used in YAML configs. */
  @JsonValue
  public String yamlName() {
    return yamlName;
  }
}
