package org.olmo4j.eval;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import java.util.function.BiFunction;

/**
 * The public multiple-choice data sets whose JSONL records {@link TaskConverter} turns into the
 * task format, with the prompts of OLMo's downstream tasks (which follow lm-eval-harness).
 */
public enum TaskFormat {
  HELLASWAG(PublicFormats::hellaswag),
  PIQA(PublicFormats::piqa),
  ARC(PublicFormats::arc),
  SCIQ(PublicFormats::sciq),
  COPA(PublicFormats::copa),
  BOOLQ(PublicFormats::boolq),
  OPENBOOKQA(PublicFormats::openbookqa),
  WINOGRANDE(PublicFormats::winogrande);

  private final BiFunction<JsonNode, Record, TaskExample> convert;

  TaskFormat(BiFunction<JsonNode, Record, TaskExample> convert) {
    this.convert = convert;
  }

  /** Where a record came from, for error messages; {@code label} an external label or null. */
  public record Record(String where, int line, String label) {}

  /** One record of this format as a task example. */
  TaskExample convert(JsonNode record, Record where) {
    return convert.apply(record, where);
  }

  /** The CLI name: {@code hellaswag}, {@code piqa}, … */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The format named {@code name} (case-insensitive), or an error listing the names. */
  public static TaskFormat named(String name) {
    for (TaskFormat f : values()) {
      if (f.cliName().equalsIgnoreCase(name)) {
        return f;
      }
    }
    throw new IllegalArgumentException("unknown task format '" + name + "': expected one of "
        + java.util.Arrays.stream(values()).map(TaskFormat::cliName).toList());
  }
}
