package org.olmo4j.config;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;

/** A training length as OLMo writes it: {@code "N"} steps, {@code "NT"} tokens, {@code "Nep"} epochs. */
@JsonSerialize(using = DurationJson.Serializer.class)
@JsonDeserialize(using = DurationJson.Deserializer.class)
public record Duration(long value, Unit unit) {

  public enum Unit { STEPS, TOKENS, EPOCHS }

  /** Parses OLMo's forms: {@code 739328}, {@code "739_328"}, {@code "2e12T"}, {@code "3ep"}. */
  public static Duration parse(String text) {
    String s = text.trim().replace("_", "");
    Unit unit = Unit.STEPS;
    if (s.endsWith("ep")) {
      unit = Unit.EPOCHS;
      s = s.substring(0, s.length() - 2);
    } else if (s.endsWith("T")) {
      unit = Unit.TOKENS;
      s = s.substring(0, s.length() - 1);
    }
    if (s.matches("\\d{1,18}")) {
      long exact = Long.parseLong(s); // exact beyond 2^53, where a double would round
      if (exact > 0) {
        return new Duration(exact, unit);
      }
    }
    // Plain decimal or scientific only: Double.parseDouble would also take "3d", "0x1p3", "NaN".
    if (!s.matches("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?")) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a duration: expected N (steps), NT (tokens) or Nep (epochs)");
    }
    double v = Double.parseDouble(s);
    if (v <= 0 || v != Math.rint(v) || v >= 0x1p63) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a duration: the number must be a positive whole number");
    }
    return new Duration((long) v, unit);
  }

  /** Steps this duration lasts, given the tokens per step and the steps per epoch. */
  public long toSteps(long tokensPerStep, long stepsPerEpoch) {
    return switch (unit) {
      case STEPS -> value;
      case TOKENS -> (value + tokensPerStep - 1) / tokensPerStep;
      case EPOCHS -> value * stepsPerEpoch;
    };
  }

  @Override
  public String toString() {
    return switch (unit) {
      case STEPS -> Long.toString(value);
      case TOKENS -> value + "T";
      case EPOCHS -> value + "ep";
    };
  }
}
