package org.olmo4j.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * Loads a {@link TrainConfig} as OLMo does: YAML over {@code defaults.yaml}, dotted overrides
 * ({@code --optimizer.learning_rate=1e-4}), {@code ${key}} interpolation, then typed binding and
 * validation. Every user error is a {@link ConfigException} naming the file, key and problem.
 */
public final class ConfigLoader {

  private static final String DEFAULTS = "defaults.yaml";
  private static final ObjectNode DEFAULT_TREE = readDefaults();

  private ConfigLoader() {}

  /** Reads a config file, applies overrides, binds and validates it (data: {@link #validateForTraining}). */
  public static TrainConfig load(Path yaml, List<String> overrides) {
    return loadWithIgnored(yaml, overrides).config();
  }

  /** As {@link #load}, with the OLMo keys the file or overrides set that olmo4j ignores. */
  public static LoadedConfig loadWithIgnored(Path yaml, List<String> overrides) {
    return loadWithIgnored(yaml, overrides, true);
  }

  /**
   * As {@link #loadWithIgnored(Path, List)}; with {@code validatePaths} false, as OLMo's
   * {@code validate_paths=False}, a {@code ${path.choose:…}} with no existing path gives "" (for
   * commands that only inspect a config, such as {@code info}).
   */
  public static LoadedConfig loadWithIgnored(Path yaml, List<String> overrides,
      boolean validatePaths) {
    if (!Files.exists(yaml)) {
      throw new ConfigException("config file not found: " + yaml);
    }
    if (!Files.isRegularFile(yaml)) {
      throw new ConfigException("config file is not a regular file: " + yaml);
    }
    String text;
    try {
      text = Files.readString(yaml, StandardCharsets.UTF_8);
    } catch (CharacterCodingException e) {
      throw new ConfigException("config file " + yaml + " is not UTF-8 text", e);
    } catch (IOException e) {
      throw new ConfigException("cannot read config file " + yaml + ": " + e, e);
    }
    return build(text, yaml.toString(), overrides, System::getenv, validatePaths);
  }

  /** As {@link #load}, from YAML text (errors name it {@code <yaml text>}). */
  public static TrainConfig fromYaml(String yamlText, List<String> overrides) {
    return build(yamlText, "<yaml text>", overrides, System::getenv, true).config();
  }

  /** Canonical YAML: every key, in record order; {@code fromYaml(toYaml(c), List.of())} equals c. */
  public static String toYaml(TrainConfig config) {
    try {
      return ConfigBinding.MAPPER.writeValueAsString(config);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write config as YAML", e);
    }
  }

  /** SHA-256 (lower-case hex) of {@link #toYaml}: equal configs, equal hashes. */
  public static String hash(TrainConfig config) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(sha.digest(toYaml(config).getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** The keys whose values differ, with both values: {@code model.d_model: 256 ≠ 512}. */
  public static List<String> diff(TrainConfig a, TrainConfig b) {
    List<String> out = new ArrayList<>();
    diff(ConfigBinding.MAPPER.valueToTree(a), ConfigBinding.MAPPER.valueToTree(b), "", out);
    return out;
  }

  /** Checks sizes, divisibility, ranges and supported features; throws listing every problem. */
  public static void validate(TrainConfig config) {
    throwIfAny(ConfigValidator.problems(config), "");
  }

  /** {@link #validate}, plus what training needs: non-empty data.paths, matching data.label_mask_paths. */
  public static void validateForTraining(TrainConfig config) {
    List<String> problems = new ArrayList<>(ConfigValidator.problems(config));
    problems.addAll(ConfigValidator.trainingProblems(config));
    throwIfAny(problems, "");
  }

  /** Loads YAML text; {@code env} reads environment variables for {@code ${oc.env:VAR}}. */
  static LoadedConfig build(String text, String source, List<String> overrides,
      UnaryOperator<String> env, boolean validatePaths) {
    ConfigTree tree = new ConfigTree(DEFAULT_TREE);
    tree.mergeFile(ConfigBinding.readTree(text, source), source);
    for (String override : overrides) {
      tree.applyOverride(override);
    }
    UnaryOperator<String> sourceOf = path -> tree.sourceOf(path, source);
    Interpolation.resolveAll(tree.root(), sourceOf, env, validatePaths);
    List<IgnoredKey> ignored = OlmoKeyFilter.extract(tree.root(), sourceOf);
    TrainConfig config = ConfigBinding.bind(tree.root(), sourceOf);
    String where = overrides.isEmpty() ? source : source + " with " + String.join(" ", overrides);
    throwIfAny(ConfigValidator.problems(config), where + ": ");
    return new LoadedConfig(config, ignored);
  }

  private static void throwIfAny(List<String> problems, String prefix) {
    if (!problems.isEmpty()) {
      throw new ConfigException(
          problems.stream().map(p -> prefix + p).collect(Collectors.joining("\n")));
    }
  }

  private static void diff(JsonNode a, JsonNode b, String prefix, List<String> out) {
    for (Map.Entry<String, JsonNode> e : (Iterable<Map.Entry<String, JsonNode>>) a::fields) {
      String path = prefix + e.getKey();
      JsonNode other = b.path(e.getKey());
      if (e.getValue().isObject() && other.isObject()) {
        diff(e.getValue(), other, path + ".", out);
      } else if (!e.getValue().equals(other)) {
        out.add(path + ": " + ConfigBinding.flow(e.getValue()) + " ≠ " + ConfigBinding.flow(other));
      }
    }
  }

  private static ObjectNode readDefaults() {
    try (InputStream in = ConfigLoader.class.getResourceAsStream(DEFAULTS)) {
      if (in == null) {
        throw new IllegalStateException(DEFAULTS + " is missing from the olmo4j-configs jar");
      }
      JsonNode tree = ConfigBinding.readTree(new String(in.readAllBytes(), StandardCharsets.UTF_8),
          DEFAULTS);
      return (ObjectNode) tree;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
