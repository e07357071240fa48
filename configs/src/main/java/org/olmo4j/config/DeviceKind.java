package org.olmo4j.config;

import com.fasterxml.jackson.annotation.JsonValue;

/** What a worker computes on: {@code cpu}, or {@code cuda} (the GPU of its local index). */
public enum DeviceKind {
  CPU("cpu"),
  CUDA("cuda");

  private final String yamlName;

  DeviceKind(String yamlName) {
    this.yamlName = yamlName;
  }

  /** The name used in YAML configs. */
  @JsonValue
  public String yamlName() {
    return yamlName;
  }
}
