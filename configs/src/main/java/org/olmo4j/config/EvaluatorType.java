package org.olmo4j.config;

import com.fasterxml.jackson.annotation.JsonValue;

/** OLMo's {@code EvaluatorType}: perplexity on token files, or downstream multiple choice. */
public enum EvaluatorType {
  LM("lm"),
  DOWNSTREAM("downstream");

  private final String yamlName;

  EvaluatorType(String yamlName) {
    this.yamlName = yamlName;
  }

  /** The name used in YAML configs. */
  @JsonValue
  public String yamlName() {
    return yamlName;
  }
}
