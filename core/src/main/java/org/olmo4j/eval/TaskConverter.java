package org.olmo4j.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.olmo4j.data.DataException;

/**
 * Converts a public data set's JSONL file ({@link TaskFormat}) into the task format of
 * {@link TaskFile}. PIQA's labels may come from its separate labels file (one 0/1 per line).
 */
public final class TaskConverter {

  private static final ObjectMapper JSON = new ObjectMapper();

  private TaskConverter() {}

  /** Converts {@code in} to {@code out}; returns the number of examples written. */
  public static int convert(TaskFormat format, Path in, Path out, Path labels) {
    List<String> lines = read(in);
    List<String> labelLines = labels == null ? null
        : read(labels).stream().filter(l -> !l.isBlank()).toList();
    List<TaskExample> examples = new ArrayList<>();
    int record = 0;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).isBlank()) {
        continue;
      }
      String where = in + ":" + (i + 1);
      JsonNode n;
      try {
        n = JSON.readTree(lines.get(i));
      } catch (JsonProcessingException e) {
        throw new DataException(where + ": not a JSON object: " + e.getOriginalMessage());
      }
      if (!n.isObject()) {
        throw new DataException(where + ": expected a JSON object per line");
      }
      String label = null;
      if (labelLines != null) {
        if (record >= labelLines.size()) {
          throw new DataException(labels + " has " + labelLines.size() + " labels, fewer than the "
              + "records of " + in);
        }
        label = labelLines.get(record);
      }
      TaskExample x = format.convert(n, new TaskFormat.Record(where, i + 1, label));
      examples.add(new TaskExample(i + 1, x.contexts(), x.continuations(), x.gold(),
          x.unconditionalContext()));
      record++;
    }
    if (examples.isEmpty()) {
      throw new DataException(in + " has no records");
    }
    TaskFile.write(out, examples);
    return examples.size();
  }

  private static List<String> read(Path file) {
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new DataException(file + " does not exist");
    } catch (IOException e) {
      throw new DataException("cannot read " + file + ": " + e.getMessage());
    }
  }
}
