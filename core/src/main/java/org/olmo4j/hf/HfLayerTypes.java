package org.olmo4j.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.olmo4j.config.ModelConfig;
import org.olmo4j.config.ModelConfig.SlidingWindowConfig;

/**
 * OLMo 3's per-layer attention in HF's {@code Olmo3Config}: {@code layer_types}
 * ({@code sliding_attention} / {@code full_attention}) and one {@code sliding_window} size,
 * to and from OLMo-core's repeating pattern.
 */
final class HfLayerTypes {

  static final String SLIDING = "sliding_attention";
  static final String FULL = "full_attention";

  private HfLayerTypes() {}

  static void write(ModelConfig c, ObjectNode n) {
    ArrayNode types = n.putArray("layer_types");
    int window = 0;
    for (int i = 0; i < c.nLayers(); i++) {
      int w = c.windowOf(i);
      types.add(w > 0 ? SLIDING : FULL);
      window = Math.max(window, w);
    }
    n.put("sliding_window", window);
  }

  /** The shortest repeating pattern (plus a forced full last layer) giving {@code layer_types}. */
  static SlidingWindowConfig read(JsonNode n, String source, int layers) {
    JsonNode types = n.get("layer_types");
    JsonNode size = n.get("sliding_window");
    if (types == null || !types.isArray() || types.size() != layers) {
      throw new IllegalArgumentException(source + ": layer_types must list " + layers
          + " entries (one per layer) for model_type olmo3, got " + types);
    }
    if (size == null || !size.canConvertToInt() || size.intValue() <= 0) {
      throw new IllegalArgumentException(source + ": sliding_window must be a positive integer "
          + "for model_type olmo3, got " + size);
    }
    List<Integer> windows = new ArrayList<>();
    for (JsonNode t : types) {
      if (!SLIDING.equals(t.asText()) && !FULL.equals(t.asText())) {
        throw new IllegalArgumentException(source + ": layer_types entries must be \"" + SLIDING
            + "\" or \"" + FULL + "\", got " + t);
      }
      windows.add(SLIDING.equals(t.asText()) ? size.intValue() : SlidingWindowConfig.FULL);
    }
    for (int period = 1; period <= layers; period++) {
      for (boolean forceLast : new boolean[] {false, true}) {
        SlidingWindowConfig candidate =
            new SlidingWindowConfig(List.copyOf(windows.subList(0, period)), false, forceLast);
        if (matches(candidate, windows)) {
          return candidate;
        }
      }
    }
    throw new IllegalStateException("the full list always matches itself");
  }

  private static boolean matches(SlidingWindowConfig c, List<Integer> windows) {
    for (int i = 0; i < windows.size(); i++) {
      if (c.windowOf(i, windows.size()) != windows.get(i)) {
        return false;
      }
    }
    return true;
  }
}
