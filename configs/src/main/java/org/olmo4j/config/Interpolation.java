package org.olmo4j.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * OmegaConf-style references between keys, as OLMo's configs use them: {@code runs/${run_name}}.
 * A string that is exactly one {@code ${key}} takes the referenced value with its type.
 */
final class Interpolation {

  private static final Pattern REFERENCE = Pattern.compile("\\$\\{([^}]*)}");

  private final ObjectNode root;
  private final UnaryOperator<String> sourceOf;
  /** Keys being resolved, innermost last, to report cycles. */
  private final Deque<String> resolving = new ArrayDeque<>();

  private Interpolation(ObjectNode root, UnaryOperator<String> sourceOf) {
    this.root = root;
    this.sourceOf = sourceOf;
  }

  /** Replaces every reference in the tree's strings by the referenced value, in place. */
  static void resolveAll(ObjectNode root, UnaryOperator<String> sourceOf) {
    new Interpolation(root, sourceOf).resolveObject(root, "");
  }

  private void resolveObject(ObjectNode node, String prefix) {
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String path = prefix + e.getKey();
      if (e.getValue().isObject()) {
        resolveObject((ObjectNode) e.getValue(), path + ".");
      } else if (e.getValue() instanceof ArrayNode list) {
        for (int i = 0; i < list.size(); i++) {
          if (isTemplate(list.get(i))) {
            list.set(i, resolve(path + "[" + i + "]", list.get(i).asText()));
          }
        }
      } else if (isTemplate(e.getValue())) {
        e.setValue(resolve(path, e.getValue().asText()));
      }
    }
  }

  private static boolean isTemplate(JsonNode node) {
    return node.isTextual() && node.asText().contains("${");
  }

  private JsonNode resolve(String path, String template) {
    if (resolving.contains(path)) {
      throw error(path, "reference cycle: " + String.join(" -> ", resolving) + " -> " + path);
    }
    resolving.addLast(path);
    try {
      Matcher m = REFERENCE.matcher(template);
      if (m.matches()) {
        return lookup(path, m.group(1).trim());
      }
      StringBuilder out = new StringBuilder();
      while (m.find()) {
        JsonNode value = lookup(path, m.group(1).trim());
        if (!value.isValueNode() || value.isNull()) {
          throw error(path, "'${" + m.group(1) + "}' is " + ConfigBinding.describe(value)
              + ", which cannot be part of the string '" + template + "'");
        }
        m.appendReplacement(out, Matcher.quoteReplacement(value.asText()));
      }
      m.appendTail(out);
      return TextNode.valueOf(out.toString());
    } finally {
      resolving.removeLast();
    }
  }

  private JsonNode lookup(String path, String reference) {
    JsonNode value = ConfigTree.at(root, reference);
    if (reference.isEmpty() || value.isMissingNode()) {
      throw error(path, "'${" + reference + "}' refers to no key");
    }
    if (isTemplate(value)) {
      value = resolve(reference, value.asText());
      JsonNode parent = ConfigTree.at(root, reference.contains(".")
          ? reference.substring(0, reference.lastIndexOf('.')) : "");
      if (parent instanceof ObjectNode o) {
        o.set(reference.substring(reference.lastIndexOf('.') + 1), value);
      }
    }
    return value;
  }

  private ConfigException error(String path, String problem) {
    return new ConfigException(sourceOf.apply(path) + ": " + path + ": " + problem);
  }
}
