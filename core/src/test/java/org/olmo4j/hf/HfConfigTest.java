package org.olmo4j.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
    assertRefused(HfConfig.toJson(c).put("model_type", "olmo2"), "model_type");
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
