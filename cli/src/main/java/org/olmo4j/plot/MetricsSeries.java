package org.olmo4j.plot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Loss, learning rate and tokens/s per step, read from a run's {@code metrics.jsonl}. */
public record MetricsSeries(long[] steps, double[] loss, double[] lr, double[] tokensPerS) {

  /** The JSON keys read from every line, as {@code MetricsLog} writes them. */
  static final List<String> KEYS = List.of("loss", "lr", "tokens_per_s");

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Reads {@code file}; a step written twice keeps its last line. Throws {@link
   * IllegalArgumentException} naming the file and line of anything that is not a metrics line.
   */
  public static MetricsSeries read(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("metrics file " + file + " does not exist");
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read metrics file " + file + ": " + e.getMessage());
    }
    Map<Long, double[]> byStep = new TreeMap<>();
    for (int i = 0; i < lines.size(); i++) {
      if (!lines.get(i).isBlank()) {
        String where = file + " line " + (i + 1);
        JsonNode n = parse(lines.get(i), where);
        if (isEvalRound(n)) {
          continue; // the eval rounds share the file: step, eval/… metrics, no loss
        }
        double[] values = new double[KEYS.size()];
        for (int k = 0; k < KEYS.size(); k++) {
          values[k] = number(n, KEYS.get(k), where);
        }
        JsonNode step = n.get("step");
        if (step == null || !step.canConvertToLong() || !step.isIntegralNumber()) {
          throw new IllegalArgumentException(where + ": expected an integer 'step', got "
              + (step == null ? "none" : step));
        }
        byStep.put(step.asLong(), values);
      }
    }
    if (byStep.isEmpty()) {
      throw new IllegalArgumentException("metrics file " + file + " has no metrics lines");
    }
    return of(byStep);
  }

  private static boolean isEvalRound(JsonNode n) {
    if (n.has("loss")) {
      return false;
    }
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      if (it.next().startsWith("eval/")) {
        return true;
      }
    }
    return false;
  }

  private static MetricsSeries of(Map<Long, double[]> byStep) {
    int n = byStep.size();
    long[] steps = new long[n];
    double[][] cols = new double[KEYS.size()][n];
    int i = 0;
    for (Map.Entry<Long, double[]> e : byStep.entrySet()) {
      steps[i] = e.getKey();
      for (int k = 0; k < KEYS.size(); k++) {
        cols[k][i] = e.getValue()[k];
      }
      i++;
    }
    return new MetricsSeries(steps, cols[0], cols[1], cols[2]);
  }

  private static JsonNode parse(String line, String where) {
    try {
      JsonNode n = JSON.readTree(line);
      if (n == null || !n.isObject()) {
        throw new IllegalArgumentException(where + ": expected a JSON object per line");
      }
      return n;
    } catch (IOException e) {
      String msg = e.getMessage().lines().findFirst().orElse("");
      throw new IllegalArgumentException(where + ": not JSON (" + msg + ")");
    }
  }

  /** A number, or NaN for the non-finite values Jackson writes as strings ("NaN", "Infinity"). */
  private static double number(JsonNode n, String key, String where) {
    JsonNode v = n.get(key);
    if (v != null && v.isNumber()) {
      return v.asDouble();
    }
    if (v != null && v.isTextual() && List.of("NaN", "Infinity", "-Infinity").contains(v.asText())) {
      return Double.NaN;
    }
    throw new IllegalArgumentException(where + ": expected a number '" + key + "', got "
        + (v == null ? "none" : v));
  }

  /** Steps as doubles, for plotting. */
  double[] stepsAsDoubles() {
    double[] out = new double[steps.length];
    for (int i = 0; i < steps.length; i++) {
      out[i] = steps[i];
    }
    return out;
  }

  /** Collects the finite values of a column, for axis ranges. */
  static List<Double> finite(double[] values) {
    List<Double> out = new ArrayList<>();
    for (double v : values) {
      if (Double.isFinite(v)) {
        out.add(v);
      }
    }
    return out;
  }
}
