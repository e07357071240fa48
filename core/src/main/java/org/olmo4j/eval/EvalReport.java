package org.olmo4j.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import java.util.Map;

/** Metrics as a console table and as one JSON line. */
public final class EvalReport {

  private static final ObjectMapper JSON = new ObjectMapper();

  private EvalReport() {}

  /** An aligned two-column table, one metric per row, headed by the step. */
  public static String table(long step, Map<String, Double> metrics) {
    int width = metrics.keySet().stream().mapToInt(String::length).max().orElse(6);
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "eval at step %d%n", step));
    metrics.forEach((k, v) -> sb.append(String.format(Locale.ROOT, "  %-" + width + "s  %.6f%n", k, v)));
    return sb.toString();
  }

  /** {@code {"step": s, "eval/…": v, …}} plus {@code extra} (e.g. tokens, tokens_per_s). */
  public static String jsonLine(long step, Map<String, Double> metrics, Map<String, Number> extra) {
    ObjectNode o = JSON.createObjectNode();
    o.put("step", step);
    metrics.forEach(o::put);
    extra.forEach((k, v) -> o.put(k, v.doubleValue()));
    try {
      return JSON.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
