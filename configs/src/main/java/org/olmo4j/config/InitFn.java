package org.olmo4j.config;

import com.fasterxml.jackson.annotation.JsonValue;

/** Parameter initialisation, as OLMo's init_fn. */
public enum InitFn {
  MITCHELL("mitchell"),
  NORMAL("normal");

  private final String yamlName;

  InitFn(String yamlName) {
    this.yamlName = yamlName;
  }

  /** The name used in YAML configs. */
  @JsonValue
  public String yamlName() {
    return yamlName;
  }
}
