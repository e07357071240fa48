package org.olmo4j.cli;

import java.util.List;

/** Dotted config overrides as OLMo takes them: {@code --optimizer.learning_rate=1e-4}. */
final class Overrides {

  private Overrides() {}

  /** Keeps {@code --a.b=v} / {@code a.b=v} arguments as they are; anything else is an error. */
  static List<String> check(List<String> args) {
    if (args == null) {
      return List.of();
    }
    for (String a : args) {
      if (!a.contains("=")) {
        throw new IllegalArgumentException(
            "'" + a + "' is not a config override: expected --key.path=value, e.g. --optimizer.learning_rate=1e-4");
      }
    }
    return List.copyOf(args);
  }
}
