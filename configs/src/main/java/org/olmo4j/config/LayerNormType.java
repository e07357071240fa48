package org.olmo4j.config;

import com.fasterxml.jackson.annotation.JsonValue;

/** OLMo's layer norm flavour; every norm is computed in fp32. */
public enum LayerNormType {
  /** LayerNorm (mean and variance), OLMo 1. */
  DEFAULT("default"),
  /** OLMo's low-precision LayerNorm: the same function (computed in fp32 here). */
  LOW_PRECISION("low_precision"),
  /** RMSNorm ({@code x / sqrt(mean(x²) + eps)}), OLMo 2 and 3. */
  RMS("rms");

  private final String yamlName;

  LayerNormType(String yamlName) {
    this.yamlName = yamlName;
  }

  /** The name used in YAML configs. */
  @JsonValue
  public String yamlName() {
    return yamlName;
  }

  /** True for RMSNorm, false for LayerNorm. */
  public boolean isRms() {
    return this == RMS;
  }
}
