package org.olmo4j.config;

import com.fasterxml.jackson.annotation.JsonValue;

/** Compute precision, as OLMo's precision key. */
public enum Precision {
  AMP_BF16("amp_bf16"),
  FP32("fp32");

  private final String yamlName;

  Precision(String yamlName) {
    this.yamlName = yamlName;
  }

  /** The name used in YAML configs. */
  @JsonValue
  public String yamlName() {
    return yamlName;
  }
}
