package org.olmo4j.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.config.InitFn;
import org.olmo4j.config.LayerNormType;
import org.olmo4j.config.ModelConfig;

class HfConfigTest {

  @TempDir Path dir;

  @Test
  void writesOlmoForCausalLMKeys() throws IOException {
    HfConfig.write(HfTestModels.config(false), dir);
    JsonNode n = HfConfig.JSON.readTree(dir.resolve("config.json").toFile());
    assertEquals("OlmoForCausalLM", n.get("architectures").get(0).asText());
    assertEquals("olmo", n.get("model_type").asText());
    assertEquals(4, n.get("hidden_size").asInt());
    assertEquals(8, n.get("intermediate_size").asInt());
    assertEquals(2, n.get("num_key_value_heads").asInt());
    assertEquals(12, n.get("vocab_size").asInt()); // the padded embedding size
    assertEquals(8.0, n.get("clip_qkv").asDouble());
    assertEquals(false, n.get("tie_word_embeddings").asBoolean());
    assertTrue(n.get("rope_scaling").isNull() && n.get("bos_token_id").isNull());
    assertEquals("silu", n.get("hidden_act").asText());
    assertEquals("float32", n.get("torch_dtype").asText());
  }

  /** OLMo 3 7B's shape in small: 5 layers, windows of 4 on three of four layers, full last. */
  static ModelConfig olmo3(boolean windowed) {
    return new ModelConfig(16, 4, 5, 8, 48, 20, 24, 32, 500000.0, false, InitFn.NORMAL, 0.02, 3.0,
        LayerNormType.RMS, true, false, null, 19, 18, 2, 1e-6, true, true, true,
        windowed ? new ModelConfig.SlidingWindowConfig(List.of(4, 4, 4, -1), false, true) : null);
  }

  @Test
  void writesOlmo2And3Keys() {
    ObjectNode two = HfConfig.toJson(olmo3(false));
    assertEquals("Olmo2ForCausalLM", two.get("architectures").get(0).asText());
    assertEquals("olmo2", two.get("model_type").asText());
    assertEquals(2, two.get("num_key_value_heads").asInt());
    assertEquals(1e-6, two.get("rms_norm_eps").asDouble());
    assertFalse(two.has("clip_qkv") || two.has("layer_types"));
    ObjectNode three = HfConfig.toJson(olmo3(true));
    assertEquals("Olmo3ForCausalLM", three.get("architectures").get(0).asText());
    assertEquals("olmo3", three.get("model_type").asText());
    assertEquals(4, three.get("sliding_window").asInt());
    List<String> types = new ArrayList<>();
    three.get("layer_types").forEach(t -> types.add(t.asText()));
    assertEquals(List.of("sliding_attention", "sliding_attention", "sliding_attention",
        "full_attention", "full_attention"), types);
  }

  @Test
  void olmo2And3RoundTripToTheSamePerLayerWindows() {
    for (boolean windowed : new boolean[] {false, true}) {
      ModelConfig c = olmo3(windowed);
      ObjectNode n = HfConfig.toJson(c);
      assertEquals(c, HfConfig.fromJson(n, "config.json", c));
      ModelConfig alone = HfConfig.fromJson(n, "config.json", null);
      assertEquals(HfConfig.expectedTensors(c).keySet(), HfConfig.expectedTensors(alone).keySet());
      for (int i = 0; i < c.nLayers(); i++) {
        assertEquals(c.windowOf(i), alone.windowOf(i), "layer " + i);
      }
      assertEquals(2, alone.kvHeads());
      assertFalse(alone.weightTying());
    }
    ObjectNode badTypes = HfConfig.toJson(olmo3(true));
    badTypes.putArray("layer_types").add("sliding_attention");
    assertRefused(badTypes, "layer_types");
  }

  @Test
  void roundTripWithBase() throws IOException {
    ModelConfig c = HfTestModels.config(true);
    HfConfig.write(c, dir);
    assertEquals(c, HfConfig.read(dir.resolve("config.json"), c));
  }

  @Test
  void roundTripWithoutBaseKeepsWhatHfCarries() throws IOException {
    ModelConfig olmo1b = new ModelConfig(2048, 16, 16, 8, null, 50280, 50304, 2048, 10000.0, true,
        InitFn.NORMAL, 0.02, null, LayerNormType.DEFAULT, false, false, null, 50279, 1);
    HfConfig.write(olmo1b, dir);
    assertEquals(olmo1b, HfConfig.read(dir.resolve("config.json"), null));
  }

  @Test
  void sevenBStyleMlpHiddenSize() {
    ModelConfig c = new ModelConfig(4096, 32, 32, 8, 22016, 50280, 50304, 2048, 10000.0, false,
        InitFn.MITCHELL, 0.02, null, LayerNormType.DEFAULT, false, false, null, 50279, 1);
    ObjectNode n = HfConfig.toJson(c);
    assertEquals(11008, n.get("intermediate_size").asInt());
    assertEquals(c, HfConfig.fromJson(n, "config.json", c));
  }

  @Test
  void refusesWhatOlmo4jCannotRepresent() {
    ModelConfig c = HfTestModels.config(true);
    assertRefused(HfConfig.toJson(c).put("num_key_value_heads", 1), "num_key_value_heads");
    assertRefused(HfConfig.toJson(c).put("attention_bias", true), "attention_bias");
    ObjectNode scaled = HfConfig.toJson(c);
    scaled.putObject("rope_scaling").put("type", "linear").put("factor", 2.0);
    assertRefused(scaled, "rope_scaling");
    assertRefused(HfConfig.toJson(c).put("model_type", "llama"), "model_type");
    ObjectNode noHidden = HfConfig.toJson(c);
    noHidden.remove("hidden_size");
    assertRefused(noHidden, "hidden_size");
  }

  private static void assertRefused(ObjectNode n, String key) {
    var e = assertThrows(IllegalArgumentException.class, () -> HfConfig.fromJson(n, "/x/config.json", null));
    assertTrue(e.getMessage().contains("/x/config.json") && e.getMessage().contains(key), e.getMessage());
  }

  @Test
  void badJsonNamesTheFile() throws IOException {
    Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": ");
    var e = assertThrows(IOException.class, () -> HfConfig.read(dir.resolve("config.json"), null));
    assertTrue(e.getMessage().contains("config.json"), e.getMessage());
  }
}
