package org.olmo4j.config;

import com.fasterxml.jackson.annotation.JsonValue;

/** LayerNorm flavour; both are non-parametric fp32 LayerNorm here. */
public enum LayerNormType {
  DEFAULT("default"),
  LOW_PRECISION("low_precision");

  private final String yamlName;

  LayerNormType(String yamlName) {
    this.yamlName = yamlName;
  }

  /** The name used in YAML configs. */
  @JsonValue
  public String yamlName() {
    return yamlName;
  }
}
