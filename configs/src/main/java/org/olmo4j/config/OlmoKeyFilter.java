package org.olmo4j.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Takes the keys of {@link OlmoKeys} out of a resolved config tree before it is bound: ignored
 * ones are collected, the others must have a value olmo4j computes with. Any other key that is
 * not a record field is an unknown key, also inside list entries such as {@code evaluators[1]}.
 */
final class OlmoKeyFilter {

  private final UnaryOperator<String> sourceOf;
  private final List<IgnoredKey> ignored = new ArrayList<>();

  private OlmoKeyFilter(UnaryOperator<String> sourceOf) {
    this.sourceOf = sourceOf;
  }

  /** Removes OLMo-only keys from {@code root} in place; returns the ignored ones in tree order. */
  static List<IgnoredKey> extract(ObjectNode root, UnaryOperator<String> sourceOf) {
    OlmoKeyFilter filter = new OlmoKeyFilter(sourceOf);
    filter.filterRecord(root, TrainConfig.class, "");
    return List.copyOf(filter.ignored);
  }

  private void filterRecord(ObjectNode node, Class<?> record, String prefix) {
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String path = prefix + e.getKey();
      Type field = ConfigSchema.componentType(record, e.getKey());
      if (field != null) {
        descend(e.getValue(), field, path);
        continue;
      }
      OlmoKeys.Row row = OlmoKeys.row(path);
      if (row == null) {
        List<String> fields = Arrays.stream(record.getRecordComponents())
            .map(ConfigSchema::yamlKey).toList();
        List<String> known = new ArrayList<>(OlmoKeys.keysBelow(prefix.isEmpty() ? ""
            : prefix.substring(0, prefix.length() - 1)));
        fields.forEach(k -> known.add(table(prefix) + k));
        throw unknown(path, known, "; expected one of " + fields);
      }
      it.remove();
      olmoKey(path, row, e.getValue());
    }
  }

  private void descend(JsonNode value, Type type, String path) {
    if (type instanceof Class<?> c && c.isRecord() && c != Duration.class
        && value instanceof ObjectNode o) {
      filterRecord(o, c, path + ".");
    } else if (type instanceof ParameterizedType p && p.getRawType() == List.class
        && p.getActualTypeArguments()[0] instanceof Class<?> element && element.isRecord()
        && value instanceof ArrayNode list) {
      for (int i = 0; i < list.size(); i++) {
        if (list.get(i) instanceof ObjectNode o) {
          filterRecord(o, element, path + "[" + i + "].");
        }
      }
    }
  }

  private void olmoKey(String path, OlmoKeys.Row row, JsonNode value) {
    if (row.section() && value instanceof ObjectNode section) {
      section.fields().forEachRemaining(e -> {
        String child = path + "." + e.getKey();
        OlmoKeys.Row childRow = OlmoKeys.row(child);
        if (childRow == null) {
          throw unknown(child, OlmoKeys.keysBelow(path), "");
        }
        olmoKey(child, childRow, e.getValue());
      });
      return;
    }
    if (!row.accepts(value)) {
      throw new ConfigException(sourceOf.apply(path) + ": " + path + ": "
          + ConfigBinding.describe(value) + " is not supported; olmo4j accepts "
          + String.join(" or ", row.accepted()) + " (" + row.note() + ")");
    }
    if (row.kind() == OlmoKeys.Kind.IGNORED) {
      ignored.add(new IgnoredKey(path, ConfigBinding.flow(value), row.note()));
    }
  }

  private ConfigException unknown(String path, List<String> known, String otherwise) {
    String suggestion = KeySuggestions.didYouMean(table(path), known);
    return new ConfigException("unknown key '" + path + "' in " + sourceOf.apply(path)
        + (suggestion.isEmpty() ? otherwise : suggestion));
  }

  /** The table form of a path: list indices dropped, {@code evaluators[].data.x}. */
  private static String table(String path) {
    return path.replaceAll("\\[\\d+]", "[]");
  }
}
