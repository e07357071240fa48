package org.olmo4j.train;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.olmo4j.config.ConfigLoader;
import org.olmo4j.config.TrainConfig;

/** A tiny, learnable run on real files: counting sequences with noise, a 2-layer OLMo. */
final class TinyRun {

  static final int VOCAB = 64;

  private TinyRun() {}

  /** Writes a uint16 memmap file of {@code n} tokens: runs of "next = previous + 1 (mod 60)". */
  static Path writeTokens(Path dir, int n, long seed) throws IOException {
    SplittableRandom rnd = new SplittableRandom(seed);
    ByteBuffer buf = ByteBuffer.allocate(n * 2).order(ByteOrder.LITTLE_ENDIAN);
    int t = 0;
    for (int i = 0; i < n; i++) {
      t = rnd.nextInt(8) == 0 ? rnd.nextInt(60) : (t + 1) % 60;
      buf.putShort((short) t);
    }
    Path file = dir.resolve("tokens.npy");
    Files.write(file, buf.array());
    return file;
  }

  static TrainConfig config(Path data, Path saveFolder, String... overrides) {
    String yaml = String.join("\n",
        "run_name: tiny-test",
        "seed: 1234",
        "max_duration: 20",
        "global_train_batch_size: 8",
        "device_train_microbatch_size: 4",
        "max_grad_norm: 1.0",
        "precision: fp32",
        "save_folder: " + saveFolder,
        "save_interval: 10",
        "save_num_checkpoints_to_keep: 3",
        "model:",
        "  d_model: 32",
        "  n_heads: 2",
        "  n_layers: 2",
        "  mlp_ratio: 4",
        "  vocab_size: " + VOCAB,
        "  embedding_size: " + VOCAB,
        "  max_sequence_length: 16",
        "  init_fn: mitchell",
        "  eos_token_id: 63",
        "  pad_token_id: 62",
        "optimizer:",
        "  learning_rate: 0.01",
        "  weight_decay: 0.1",
        "scheduler:",
        "  name: cosine_with_warmup",
        "  t_warmup: 5",
        "data:",
        "  paths: [" + data + "]",
        "  memmap_dtype: uint16",
        "");
    return ConfigLoader.fromYaml(yaml, List.of(overrides));
  }

  /** The {@code loss} values of metrics.jsonl, by step order. */
  static List<Double> losses(Path saveFolder) throws IOException {
    var json = new com.fasterxml.jackson.databind.ObjectMapper();
    List<Double> out = new ArrayList<>();
    for (String line : Files.readAllLines(saveFolder.resolve("metrics.jsonl"))) {
      var node = json.readTree(line);
      if (node.has("loss") && node.has("step")) {
        out.add(node.get("loss").asDouble());
      }
    }
    return out;
  }
}
