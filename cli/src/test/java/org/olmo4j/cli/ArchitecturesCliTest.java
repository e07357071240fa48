package org.olmo4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.olmo4j.cli.CliTest.Run;
import org.olmo4j.io.Safetensors;
import org.olmo4j.io.SafetensorsReader;
import org.olmo4j.io.TensorInfo;
import org.olmo4j.node.ClusterRuns;

/** OLMo 1, 2 and 3 through the CLI: train, export-hf, import-hf and score agree per family. */
class ArchitecturesCliTest {

  @TempDir static Path tmp;
  static Path data;
  static Path tokens;

  @BeforeAll
  static void files() throws Exception {
    data = ClusterRuns.writeTokens(tmp);
    tokens = tmp.resolve("score.txt");
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      sb.append((i * 7) % 60).append(i % 10 == 9 ? "\n" : " ");
    }
    Files.writeString(tokens, sb.toString());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "olmo  | Olmo1   | ",
      "olmo2 | Olmo2   | layer_norm_type: rms, layer_norm_with_affine: true, layer_norm_eps: 1.0e-6, "
          + "attention_layer_norm: true, norm_after: true, n_kv_heads: 1, weight_tying: false",
      "olmo3 | Olmo3   | layer_norm_type: rms, layer_norm_with_affine: true, layer_norm_eps: 1.0e-6, "
          + "attention_layer_norm: true, norm_after: true, n_kv_heads: 1, weight_tying: false, "
          + "sliding_window: {pattern: [4, -1], force_full_attention_on_first_layer: false}"})
  void trainExportImportAndScoreAgree(String modelType, String name, String modelKeys)
      throws Exception {
    Path config = tmp.resolve(name + ".yaml");
    Files.writeString(config, String.join("\n",
        "run_name: " + name,
        "max_duration: 4",
        "global_train_batch_size: 4",
        "device_train_microbatch_size: 2",
        "precision: fp32",
        "save_folder: " + tmp.resolve(name),
        "save_interval: 4",
        "model: {d_model: 32, n_heads: 2, n_layers: 2, mlp_ratio: 4, vocab_size: 64,",
        "  embedding_size: 64, max_sequence_length: 16, eos_token_id: 63, pad_token_id: 62,",
        "  init_fn: normal, init_cutoff_factor: 3" + (modelKeys == null ? "" : ", " + modelKeys)
            + "}",
        "optimizer: {learning_rate: 0.01}",
        "scheduler: {name: constant}",
        "data: {paths: [" + data + "]}",
        ""));
    Run train = CliTest.run("train", config.toString(), "--port=0");
    assertEquals(0, train.code(), train.err());
    Run info = CliTest.run("info", config.toString());
    assertTrue(info.out().contains("architecture " + modelType + " ("), info.out());

    Path ckpt = tmp.resolve(name + "/step4");
    Path hf = tmp.resolve(name + "-hf");
    Run export = CliTest.run("export-hf", ckpt.toString(), hf.toString());
    assertEquals(0, export.code(), export.err());
    JsonNode hfConfig = new ObjectMapper().readTree(hf.resolve("config.json").toFile());
    assertEquals(modelType, hfConfig.get("model_type").asText());
    List<String> names = new ArrayList<>();
    try (SafetensorsReader r = Safetensors.open(hf.resolve("model.safetensors"))) {
      r.tensors().stream().map(TensorInfo::name).forEach(names::add);
    }
    boolean olmo2Plus = !modelType.equals("olmo");
    for (String norm : new String[] {"model.layers.1.self_attn.q_norm.weight",
        "model.layers.1.self_attn.k_norm.weight", "model.layers.1.post_attention_layernorm.weight",
        "model.layers.1.post_feedforward_layernorm.weight", "model.norm.weight",
        "lm_head.weight"}) {
      assertEquals(olmo2Plus, names.contains(norm), norm + " in " + names);
    }
    if (olmo2Plus) {
      assertEquals(1, hfConfig.get("num_key_value_heads").asInt());
    }
    if (modelType.equals("olmo3")) {
      assertEquals(4, hfConfig.get("sliding_window").asInt());
      assertEquals("[\"sliding_attention\",\"full_attention\"]", hfConfig.get("layer_types").toString());
    }

    Path imported = tmp.resolve(name + "-imported");
    Run imp = CliTest.run("import-hf", hf.toString(), imported.toString(), "--config",
        config.toString());
    assertEquals(0, imp.code(), imp.err());
    double fromCkpt = score(ckpt);
    assertTrue(fromCkpt > 0);
    assertEquals(fromCkpt, score(hf), 0.0);
    assertEquals(fromCkpt, score(imported), 0.0);
  }

  @Test
  void officialSizesOfOlmo2() {
    Run one = CliTest.run("info", Path.of("../configs/OLMo-2-1B.yaml").toString());
    assertEquals(0, one.code(), one.err());
    assertTrue(one.out().contains("\nparameters 1484916736\n"), one.out());
    Run seven = CliTest.run("info", Path.of("../configs/OLMo-2-7B.yaml").toString());
    assertTrue(seven.out().contains("\nparameters 7298617344\n"), seven.out());
    Run three = CliTest.run("info", Path.of("../configs/OLMo-3-7B.yaml").toString());
    assertTrue(three.out().contains("\nparameters 7298617344\n"), three.out());
    assertTrue(three.out().contains("architecture olmo3 (Olmo3ForCausalLM)"), three.out());
  }

  private static double score(Path model) throws Exception {
    Run r = CliTest.run("score", model.toString(), tokens.toString());
    assertEquals(0, r.code(), r.err());
    return new ObjectMapper().readTree(r.out().trim()).get("loss").asDouble();
  }
}
