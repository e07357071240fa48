package org.olmo4j.config;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/** The config's shape read from the records: YAML key names and the Java type behind each dotted key. */
final class ConfigSchema {

  private static final PropertyNamingStrategies.NamingBase SNAKE =
      (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;

  private ConfigSchema() {}

  /** The YAML key of a record component, as Jackson names it: {@code dModel} → {@code d_model}. */
  static String yamlKey(RecordComponent component) {
    return SNAKE.translate(component.getName());
  }

  /** The Java type at {@code model.n_heads} or {@code optimizer.betas[1]}, or null if there is none. */
  static Type typeAt(String path) {
    Type type = TrainConfig.class;
    for (String segment : path.split("\\.|(?=\\[)")) {
      if (segment.isEmpty()) {
        continue;
      }
      if (segment.startsWith("[")) {
        if (!(type instanceof ParameterizedType p) || p.getRawType() != List.class) {
          return null;
        }
        type = p.getActualTypeArguments()[0];
      } else {
        Optional<RecordComponent> component = component(type, segment);
        if (component.isEmpty()) {
          return null;
        }
        type = component.get().getGenericType();
      }
    }
    return type;
  }

  /** The generic type of a record's component named by its YAML key, or null if there is none. */
  static Type componentType(Class<?> record, String key) {
    return component(record, key).map(RecordComponent::getGenericType).orElse(null);
  }

  private static Optional<RecordComponent> component(Type type, String key) {
    if (!(type instanceof Class<?> c) || !c.isRecord()) {
      return Optional.empty();
    }
    return Arrays.stream(c.getRecordComponents()).filter(rc -> yamlKey(rc).equals(key)).findFirst();
  }

  /** What a value of this type looks like in YAML, for "expected X, got Y" messages. */
  static String describeType(Type type) {
    if (type instanceof ParameterizedType p && p.getRawType() == List.class) {
      return "a list";
    }
    if (type instanceof ParameterizedType p && p.getRawType() == java.util.Map.class) {
      return "a mapping";
    }
    if (!(type instanceof Class<?> c)) {
      return "a valid value";
    }
    if (c == int.class || c == Integer.class || c == long.class || c == Long.class) {
      return "an integer";
    }
    if (c == double.class || c == Double.class || c == float.class || c == Float.class) {
      return "a number";
    }
    if (c == boolean.class || c == Boolean.class) {
      return "a boolean (true or false)";
    }
    if (c == String.class) {
      return "a string";
    }
    if (c == Duration.class) {
      return "a duration: N (steps), NT (tokens) or Nep (epochs)";
    }
    if (c.isEnum()) {
      return "one of " + enumNames(c);
    }
    return c.isRecord() ? "a mapping" : "a " + c.getSimpleName();
  }

  /** The YAML names of an enum's constants (their {@code @JsonValue}): {@code [amp_bf16, fp32]}. */
  static String enumNames(Class<?> enumType) {
    return Arrays.stream(enumType.getEnumConstants())
        .map(e -> ConfigBinding.MAPPER.valueToTree(e).asText())
        .collect(Collectors.joining(", ", "[", "]"));
  }
}
