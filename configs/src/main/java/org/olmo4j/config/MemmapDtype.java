package org.olmo4j.config;

import com.fasterxml.jackson.annotation.JsonValue;

/** Element type of OLMo memmap token files. */
public enum MemmapDtype {
  UINT16("uint16"),
  UINT32("uint32");

  private final String yamlName;

  MemmapDtype(String yamlName) {
    this.yamlName = yamlName;
  }

  /** The name used in YAML configs. */
  @JsonValue
  public String yamlName() {
    return yamlName;
  }
}
