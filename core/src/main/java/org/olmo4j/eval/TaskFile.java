package org.olmo4j.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.olmo4j.data.DataException;

/**
 * The downstream task format: JSONL, one example per line, {@code {"context": "…",
 * "continuations": ["…", …], "gold": 0}}, or {@code "contexts": [one per continuation]} instead of
 * {@code context} (partial scoring), and optionally {@code "unconditional_context": "Answer:"}
 * for pmi_dc. Errors name the file and the line.
 */
public final class TaskFile {

  private static final ObjectMapper JSON = new ObjectMapper();

  private TaskFile() {}

  /** Reads and validates every example of {@code file}. */
  public static List<TaskExample> read(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new DataException("task file " + file + " does not exist");
    } catch (IOException e) {
      throw new DataException("cannot read task file " + file + ": " + e.getMessage());
    }
    List<TaskExample> out = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      if (!lines.get(i).isBlank()) {
        out.add(parse(lines.get(i), file + ":" + (i + 1), i + 1));
      }
    }
    if (out.isEmpty()) {
      throw new DataException("task file " + file + " has no examples");
    }
    return out;
  }

  /** Parses one line; {@code where} ({@code file:line}) starts every error message. */
  static TaskExample parse(String line, String where, int lineNumber) {
    JsonNode n;
    try {
      n = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      throw new DataException(where + ": not a JSON object: " + e.getOriginalMessage());
    }
    if (n == null || !n.isObject()) {
      throw new DataException(where + ": expected a JSON object per line");
    }
    List<String> continuations = strings(n.get("continuations"), "continuations", where);
    if (continuations.isEmpty()) {
      throw new DataException(where + ": 'continuations' is empty; list the choices to rank");
    }
    for (int k = 0; k < continuations.size(); k++) {
      if (continuations.get(k).isEmpty()) {
        throw new DataException(where + ": continuation " + k + " is the empty string");
      }
    }
    List<String> contexts;
    if (n.has("contexts") == n.has("context")) {
      throw new DataException(where + ": give exactly one of 'context' (a string) or 'contexts' "
          + "(one string per continuation); missing field 'context'");
    } else if (n.has("context")) {
      contexts = java.util.Collections.nCopies(continuations.size(), text(n.get("context"), "context", where));
    } else {
      contexts = strings(n.get("contexts"), "contexts", where);
      if (contexts.size() != continuations.size()) {
        throw new DataException(where + ": 'contexts' has " + contexts.size() + " entries but "
            + "'continuations' has " + continuations.size());
      }
    }
    JsonNode gold = n.get("gold");
    if (gold == null) {
      throw new DataException(where + ": missing field 'gold' (the index of the right continuation)");
    }
    if (!gold.isIntegralNumber()) {
      throw new DataException(where + ": 'gold' must be an integer index, got " + gold);
    }
    if (gold.asInt() < 0 || gold.asInt() >= continuations.size()) {
      throw new DataException(where + ": gold index " + gold.asInt() + " is out of range [0, "
          + continuations.size() + ") of the continuations");
    }
    String uncond = n.has("unconditional_context")
        ? text(n.get("unconditional_context"), "unconditional_context", where) : null;
    return new TaskExample(lineNumber, contexts, continuations, gold.asInt(), uncond);
  }

  private static String text(JsonNode v, String field, String where) {
    if (v == null || !v.isTextual()) {
      throw new DataException(where + ": '" + field + "' must be a string, got " + v);
    }
    return v.asText();
  }

  private static List<String> strings(JsonNode v, String field, String where) {
    if (v == null) {
      throw new DataException(where + ": missing field '" + field + "'");
    }
    if (!v.isArray()) {
      throw new DataException(where + ": '" + field + "' must be a list of strings, got " + v);
    }
    List<String> out = new ArrayList<>();
    for (JsonNode e : v) {
      out.add(text(e, field + "[" + out.size() + "]", where));
    }
    return out;
  }

  /** Writes examples in this format (a shared context as {@code context}). */
  public static void write(Path file, List<TaskExample> examples) {
    try {
      if (file.toAbsolutePath().getParent() != null) {
        Files.createDirectories(file.toAbsolutePath().getParent());
      }
      try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
        for (TaskExample e : examples) {
          w.write(JSON.writeValueAsString(toJson(e)));
          w.write('\n');
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write task file " + file, e);
    }
  }

  static ObjectNode toJson(TaskExample e) {
    ObjectNode o = JSON.createObjectNode();
    boolean shared = e.contexts().stream().distinct().count() == 1;
    if (shared) {
      o.put("context", e.contexts().get(0));
    } else {
      ArrayNode c = o.putArray("contexts");
      e.contexts().forEach(c::add);
    }
    ArrayNode conts = o.putArray("continuations");
    e.continuations().forEach(conts::add);
    o.put("gold", e.gold());
    if (e.unconditionalContext() != null) {
      o.put("unconditional_context", e.unconditionalContext());
    }
    return o;
  }
}
