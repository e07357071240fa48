package org.olmo4j.bootstrap;

import java.util.Map;

/** Reads typed values from environment variables; every error names the variable and its value. */
final class EnvValues {

  private EnvValues() {}

  /** The integer in {@code name}, or null when it is unset; must lie in [min, max]. */
  static Integer integer(Map<String, String> env, String name, long min, long max) {
    String raw = env.get(name);
    if (raw == null) {
      return null;
    }
    String v = raw.trim();
    long value;
    try {
      value = Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new BootstrapException(name + "='" + raw + "' is not an integer (expected "
          + range(min, max) + ")");
    }
    if (value < min || value > max) {
      throw new BootstrapException(name + "=" + v + " is out of range (expected " + range(min, max)
          + ")");
    }
    return (int) value;
  }

  /** As {@link #integer}, with {@code fallback} when the variable is unset. */
  static int integer(Map<String, String> env, String name, long min, long max, int fallback) {
    Integer v = integer(env, name, min, max);
    return v == null ? fallback : v;
  }

  /** The value of {@code name}, or null when unset; set but blank is an error. */
  static String text(Map<String, String> env, String name) {
    String v = env.get(name);
    if (v != null && v.isBlank()) {
      throw new BootstrapException(name + " is set but empty");
    }
    return v == null ? null : v.trim();
  }

  private static String range(long min, long max) {
    return max >= Integer.MAX_VALUE ? "an integer >= " + min : "an integer in [" + min + ", " + max + "]";
  }
}
