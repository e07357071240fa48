package org.olmo4j.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * OmegaConf-style interpolation, as OLMo's configs use it: {@code runs/${run_name}}, the resolvers
 * {@code ${oc.env:VAR,default}} and {@code ${path.choose:A,B}}, nested as in
 * {@code ${oc.env:SLURM_JOB_ID,${run_name}}}; {@code \${} is a literal {@code ${}. A string that
 * is exactly one {@code ${key}} takes the referenced value with its type.
 */
final class Interpolation {

  private static final Pattern RESOLVER = Pattern.compile("([A-Za-z_][\\w.]*):(.*)", Pattern.DOTALL);
  /** OLMo's {@code util.is_url}: path.choose takes a URL without checking it. */
  private static final Pattern URL = Pattern.compile("[a-z0-9]+://.*");

  private final ObjectNode root;
  private final UnaryOperator<String> sourceOf;
  private final UnaryOperator<String> env;
  /** OLMo's validate_paths: false lets path.choose give "" when no path exists (inspection only). */
  private final boolean validatePaths;
  /** Keys being resolved, innermost last, to report cycles. */
  private final Deque<String> resolving = new ArrayDeque<>();
  /** Keys already resolved: their text may hold a literal "${" from an escape. */
  private final Set<String> resolved = new HashSet<>();

  private Interpolation(ObjectNode root, UnaryOperator<String> sourceOf, UnaryOperator<String> env,
      boolean validatePaths) {
    this.root = root;
    this.sourceOf = sourceOf;
    this.env = env;
    this.validatePaths = validatePaths;
  }

  /** Replaces every interpolation in the tree's strings by its value, in place. */
  static void resolveAll(ObjectNode root, UnaryOperator<String> sourceOf, UnaryOperator<String> env,
      boolean validatePaths) {
    new Interpolation(root, sourceOf, env, validatePaths).resolveObject(root, "");
  }

  private void resolveObject(ObjectNode node, String prefix) {
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String path = prefix + e.getKey();
      if (e.getValue().isObject()) {
        resolveObject((ObjectNode) e.getValue(), path + ".");
      } else if (e.getValue() instanceof ArrayNode list) {
        for (int i = 0; i < list.size(); i++) {
          if (list.get(i) instanceof ObjectNode element) {
            resolveObject(element, path + "[" + i + "].");
          } else if (isTemplate(list.get(i)) && !resolved.contains(path + "[" + i + "]")) {
            list.set(i, resolveKey(path + "[" + i + "]", list.get(i).asText()));
          }
        }
      } else if (isTemplate(e.getValue()) && !resolved.contains(path)) {
        e.setValue(resolveKey(path, e.getValue().asText()));
      }
    }
  }

  private static boolean isTemplate(JsonNode node) {
    return node.isTextual() && node.asText().contains("${");
  }

  /** The value of the key {@code path}, whose text is {@code template}; detects cycles. */
  private JsonNode resolveKey(String path, String template) {
    if (resolving.contains(path)) {
      throw error(path, "reference cycle: " + String.join(" -> ", resolving) + " -> " + path);
    }
    resolving.addLast(path);
    try {
      JsonNode value = expand(path, template);
      resolved.add(path);
      return value;
    } finally {
      resolving.removeLast();
    }
  }

  /** Expands every {@code ${…}} of a template found at key {@code path}. */
  private JsonNode expand(String path, String template) {
    List<String> parts = split(path, template); // literal, body, literal, body, …, literal
    if (parts.size() == 3 && parts.get(0).isEmpty() && parts.get(2).isEmpty()) {
      return evaluate(path, parts.get(1));
    }
    StringBuilder out = new StringBuilder(parts.get(0));
    for (int i = 1; i < parts.size(); i += 2) {
      JsonNode value = evaluate(path, parts.get(i));
      if (!value.isValueNode() || value.isNull()) {
        throw error(path, "'${" + parts.get(i) + "}' is " + ConfigBinding.describe(value)
            + ", which cannot be part of the string '" + template + "'");
      }
      out.append(value.asText()).append(parts.get(i + 1));
    }
    return TextNode.valueOf(out.toString());
  }

  /** Literal text and {@code ${…}} bodies, alternating, starting and ending with literal text. */
  private List<String> split(String path, String template) {
    List<String> parts = new ArrayList<>();
    StringBuilder literal = new StringBuilder();
    int i = 0;
    while (i < template.length()) {
      if (template.startsWith("\\${", i)) {
        literal.append("${");
        i += 3;
      } else if (template.startsWith("${", i)) {
        int end = closingBrace(template, i + 2);
        if (end < 0) {
          throw error(path, "'" + template + "' has a '${' without its closing '}'");
        }
        parts.add(literal.toString());
        literal.setLength(0);
        parts.add(template.substring(i + 2, end));
        i = end + 1;
      } else {
        literal.append(template.charAt(i++));
      }
    }
    parts.add(literal.toString());
    return parts;
  }

  /** Index of the '}' that closes a '${' whose body starts at {@code from}, or -1. */
  private static int closingBrace(String s, int from) {
    int depth = 1;
    for (int j = from; j < s.length(); j++) {
      if (s.startsWith("${", j)) {
        depth++;
        j++;
      } else if (s.charAt(j) == '}' && --depth == 0) {
        return j;
      }
    }
    return -1;
  }

  private JsonNode evaluate(String path, String body) {
    Matcher m = RESOLVER.matcher(body.trim());
    if (!m.matches()) {
      return lookup(path, body.trim());
    }
    String name = m.group(1);
    List<String> args = arguments(path, m.group(2));
    return switch (name) {
      case "oc.env" -> env(path, body, args);
      case "path.choose" -> choosePath(path, body, args);
      default -> throw error(path, "'${" + body + "}' uses the resolver '" + name
          + "'; olmo4j resolves oc.env and path.choose (and ${key} references)");
    };
  }

  /** OmegaConf's {@code oc.env}: the variable's text, else the default (null for {@code null}). */
  private JsonNode env(String path, String body, List<String> args) {
    if (args.isEmpty() || args.size() > 2 || args.get(0) == null) {
      throw error(path, "'${" + body + "}': oc.env takes a variable name and an optional default");
    }
    String value = env.apply(args.get(0));
    if (value != null) {
      return TextNode.valueOf(value);
    }
    if (args.size() == 1) {
      throw error(path, "environment variable " + args.get(0) + " is not set and '${" + body
          + "}' gives no default");
    }
    return args.get(1) == null ? NullNode.getInstance() : TextNode.valueOf(args.get(1));
  }

  /** OLMo's {@code path.choose}: the first argument that is a URL or an existing path. */
  private JsonNode choosePath(String path, String body, List<String> args) {
    for (String candidate : args) {
      if (candidate != null && (URL.matcher(candidate).matches() || exists(candidate))) {
        return TextNode.valueOf(candidate);
      }
    }
    if (!validatePaths) {
      return TextNode.valueOf("");
    }
    throw error(path, "'${" + body + "}': none of " + args + " exists (path.choose takes the first "
        + "that exists); create one, set the variables it reads, or override the key");
  }

  private static boolean exists(String candidate) {
    try {
      return Files.exists(Path.of(candidate));
    } catch (InvalidPathException e) {
      return false;
    }
  }

  /** A resolver's comma-separated arguments, each trimmed, unquoted and expanded; null for null. */
  private List<String> arguments(String path, String text) {
    List<String> raw = new ArrayList<>();
    int depth = 0;
    int start = 0;
    for (int j = 0; j < text.length(); j++) {
      if (text.startsWith("${", j)) {
        depth++;
        j++;
      } else if (text.charAt(j) == '}') {
        depth--;
      } else if (text.charAt(j) == ',' && depth == 0) {
        raw.add(text.substring(start, j));
        start = j + 1;
      }
    }
    raw.add(text.substring(start));
    List<String> args = new ArrayList<>();
    for (String r : raw) {
      String a = r.trim();
      if (a.length() >= 2 && (a.charAt(0) == '\'' || a.charAt(0) == '"')
          && a.charAt(a.length() - 1) == a.charAt(0)) {
        a = a.substring(1, a.length() - 1);
      } else if (a.equals("null")) {
        args.add(null);
        continue;
      }
      args.add(a.contains("${") ? text(path, expand(path, a)) : a);
    }
    if (args.size() == 1 && text.isBlank()) {
      args.clear();
    }
    return args;
  }

  private String text(String path, JsonNode value) {
    if (value.isNull()) {
      return null;
    }
    if (!value.isValueNode()) {
      throw error(path, "a resolver argument is " + ConfigBinding.describe(value)
          + ", not a single value");
    }
    return value.asText();
  }

  private JsonNode lookup(String path, String reference) {
    JsonNode value = ConfigTree.at(root, reference);
    if (reference.isEmpty() || value.isMissingNode()) {
      throw error(path, "'${" + reference + "}' refers to no key");
    }
    if (isTemplate(value) && !resolved.contains(reference)) {
      value = resolveKey(reference, value.asText());
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
