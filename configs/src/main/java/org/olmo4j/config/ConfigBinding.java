package org.olmo4j.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/** YAML text ↔ trees ↔ config records with Jackson; Jackson's errors become {@link ConfigException}s. */
final class ConfigBinding {

  /** snake_case YAML keys ↔ camelCase record components; strict about types, nulls and duplicates. */
  static final YAMLMapper MAPPER = createMapper();

  private static final Pattern DUPLICATE_KEY = Pattern.compile("^Duplicate field '([^']*)'");

  private ConfigBinding() {}

  private static YAMLMapper createMapper() {
    YAMLFactory factory = YAMLFactory.builder()
        .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
        .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
        .build();
    YAMLMapper mapper = YAMLMapper.builder(factory)
        .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        .disable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
        .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
        .serializationInclusion(JsonInclude.Include.ALWAYS)
        .build();
    // "" is not 0, false or an empty list.
    mapper.coercionConfigDefaults().setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail);
    return mapper;
  }

  /** Parses YAML; empty text gives a {@link MissingNode}. {@code source} names the text in errors. */
  static JsonNode readTree(String yaml, String source) {
    try {
      JsonNode node = MAPPER.readTree(yaml);
      return node == null ? MissingNode.getInstance() : node;
    } catch (JsonProcessingException e) {
      throw new ConfigException(source + ": " + syntaxError(e), e);
    }
  }

  private static String syntaxError(JsonProcessingException e) {
    if (e.getCause() instanceof MarkedYAMLException y && y.getProblemMark() != null) {
      String context = y.getContext() == null ? "" : " (" + y.getContext() + ")";
      return "YAML syntax error at line " + (y.getProblemMark().getLine() + 1) + ", column "
          + (y.getProblemMark().getColumn() + 1) + ": " + y.getProblem() + context;
    }
    String where = e.getLocation() == null ? ""
        : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
    Matcher duplicate = DUPLICATE_KEY.matcher(e.getOriginalMessage());
    if (duplicate.find()) {
      return "duplicate key '" + duplicate.group(1) + "'" + where;
    }
    return "YAML error" + where + ": " + e.getOriginalMessage();
  }

  /**
   * Binds a complete tree (defaults merged in) to a {@link TrainConfig}. {@code sourceOf} maps a
   * dotted key to where its value came from (the file, or the override that set it).
   */
  static TrainConfig bind(ObjectNode tree, UnaryOperator<String> sourceOf) {
    try {
      return MAPPER.treeToValue(tree, TrainConfig.class);
    } catch (UnrecognizedPropertyException e) {
      // Inside lists (evaluators[0].x) the defaults cannot name every key; Jackson finds them.
      String path = dottedPath(e);
      throw new ConfigException(sourceOf.apply(path) + ": unknown key '" + path + "'; expected one of "
          + e.getKnownPropertyIds(), e);
    } catch (JsonMappingException e) {
      String path = dottedPath(e);
      String problem = e.getCause() instanceof IllegalArgumentException iae
          ? iae.getMessage()
          : "expected " + ConfigSchema.describeType(ConfigSchema.typeAt(path))
              + ", got " + describe(ConfigTree.at(tree, path));
      throw new ConfigException(sourceOf.apply(path) + ": " + path + ": " + problem, e);
    } catch (JsonProcessingException e) {
      throw new ConfigException("cannot bind config: " + e.getOriginalMessage(), e);
    }
  }

  /** {@code optimizer.betas[1]} from Jackson's reference chain. */
  static String dottedPath(JsonMappingException e) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference ref : e.getPath()) {
      if (ref.getFieldName() != null) {
        sb.append(sb.length() == 0 ? "" : ".").append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        sb.append('[').append(ref.getIndex()).append(']');
      }
    }
    return sb.toString();
  }

  /** A value as a message shows it: strings quoted, null bare, lists and mappings in flow style. */
  static String describe(JsonNode node) {
    if (node == null || node.isMissingNode()) {
      return "nothing";
    }
    return node.isTextual() ? "'" + node.asText() + "'" : flow(node);
  }

  /** A value in YAML flow style, strings unquoted: {@code [0.9, 0.95]}, {@code {a: 1}}. */
  static String flow(JsonNode node) {
    if (node.isArray()) {
      StringBuilder sb = new StringBuilder("[");
      node.elements().forEachRemaining(n -> sb.append(sb.length() > 1 ? ", " : "").append(flow(n)));
      return sb.append(']').toString();
    }
    if (node.isObject()) {
      StringBuilder sb = new StringBuilder("{");
      node.fields().forEachRemaining(f -> sb.append(sb.length() > 1 ? ", " : "")
          .append(f.getKey()).append(": ").append(flow(f.getValue())));
      return sb.append('}').toString();
    }
    return node.asText();
  }
}
