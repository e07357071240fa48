package org.olmo4j.config;

/** An OLMo key olmo4j accepts and ignores ({@link OlmoKeys}), with the value the config gave it. */
public record IgnoredKey(String key, String value, String note) {

  /** The line printed at start: {@code ignored wandb.name = OLMo-1B}, and the note if any. */
  public String line() {
    return "ignored " + key + " = " + value + (note.isEmpty() ? "" : " (" + note + ")");
  }
}
