package org.olmo4j.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The config as a YAML tree while it is assembled: the complete defaults, the file merged over
 * them, then the overrides. The defaults hold every field, so a key they lack is unknown unless it
 * is one of OLMo's keys ({@link OlmoKeys}), which {@link OlmoKeyFilter} takes out before binding.
 */
final class ConfigTree {

  private final ObjectNode root;
  private final List<String> knownKeys = new ArrayList<>();
  /** Dotted key → the override that set it, so errors blame the override rather than the file. */
  private final Map<String, String> overrideOrigins = new HashMap<>();

  ConfigTree(ObjectNode defaults) {
    this.root = defaults.deepCopy();
    collectKeys(root, "");
  }

  ObjectNode root() {
    return root;
  }

  /** Merges a parsed config file over the tree; {@code source} names the file in errors. */
  void mergeFile(JsonNode document, String source) {
    if (document.isMissingNode() || document.isNull()) {
      return; // an empty file: all defaults
    }
    if (!document.isObject()) {
      throw new ConfigException(source + ": expected a mapping of config keys at the top level, got "
          + ConfigBinding.describe(document));
    }
    merge(root, (ObjectNode) document, "", source);
  }

  /** Applies {@code --dotted.key=value} (the leading {@code --} is optional); the value is YAML. */
  void applyOverride(String override) {
    String source = "override '" + override + "'";
    String body = override.startsWith("--") ? override.substring(2) : override;
    int eq = body.indexOf('=');
    if (eq <= 0) {
      throw new ConfigException(source
          + ": expected --dotted.key=value, e.g. --optimizer.learning_rate=1e-4");
    }
    String path = body.substring(0, eq).trim();
    JsonNode value = ConfigBinding.readTree(body.substring(eq + 1), source);
    if (value.isMissingNode()) {
      value = TextNode.valueOf(""); // "--key=" sets the empty string
    }
    ObjectNode parent = root;
    String[] keys = path.split("\\.", -1);
    for (int i = 0; i < keys.length - 1; i++) {
      JsonNode child = parent.get(keys[i]);
      String prefix = String.join(".", Arrays.copyOf(keys, i + 1));
      if ((child == null || child.isNull()) && OlmoKeys.knows(prefix)) {
        child = parent.putObject(keys[i]); // --wandb.name=x where the file has no wandb mapping
      }
      if (child == null || !child.isObject()) {
        throw unknownKey(path, source);
      }
      parent = (ObjectNode) child;
    }
    setChild(parent, keys[keys.length - 1], value, path, source);
    overrideOrigins.put(path, source);
  }

  /** Where a dotted key's value came from: the override that set it (or a parent), else the file. */
  String sourceOf(String path, String fileSource) {
    String best = null;
    for (String key : overrideOrigins.keySet()) {
      boolean covers = path.equals(key) || path.startsWith(key + ".") || path.startsWith(key + "[");
      if (covers && (best == null || key.length() > best.length())) {
        best = key;
      }
    }
    return best == null ? fileSource : overrideOrigins.get(best);
  }

  /** The node at {@code model.d_model} or {@code optimizer.betas[1]}; missing if there is none. */
  static JsonNode at(JsonNode tree, String path) {
    JsonNode node = tree;
    for (String segment : path.split("\\.|(?=\\[)")) {
      if (segment.isEmpty()) {
        continue;
      }
      node = segment.startsWith("[")
          ? node.path(Integer.parseInt(segment.substring(1, segment.length() - 1)))
          : node.path(segment);
    }
    return node == null ? MissingNode.getInstance() : node;
  }

  private void merge(ObjectNode base, ObjectNode overlay, String prefix, String source) {
    overlay.fields().forEachRemaining(
        e -> setChild(base, e.getKey(), e.getValue(), prefix + e.getKey(), source));
  }

  private void setChild(ObjectNode parent, String key, JsonNode value, String path, String source) {
    JsonNode current = parent.get(key);
    if (current == null && OlmoKeys.knows(path)) {
      parent.set(key, value);
      return;
    }
    if (current == null) {
      throw unknownKey(path, source);
    }
    if (current.isObject()) {
      if (!value.isObject()) {
        throw new ConfigException(source + ": " + path + ": expected a mapping, got "
            + ConfigBinding.describe(value));
      }
      merge((ObjectNode) current, (ObjectNode) value, path + ".", source);
    } else {
      parent.set(key, value);
    }
  }

  private ConfigException unknownKey(String path, String source) {
    List<String> known = new ArrayList<>(knownKeys);
    OlmoKeys.paths().stream().filter(p -> !p.contains("[")).forEach(known::add);
    return new ConfigException("unknown key '" + path + "' in " + source
        + KeySuggestions.didYouMean(path, known));
  }

  private void collectKeys(JsonNode node, String prefix) {
    node.fields().forEachRemaining(e -> {
      knownKeys.add(prefix + e.getKey());
      if (e.getValue().isObject()) {
        collectKeys(e.getValue(), prefix + e.getKey() + ".");
      }
    });
  }
}
