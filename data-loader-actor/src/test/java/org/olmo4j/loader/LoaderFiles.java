package org.olmo4j.loader;

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

/** Tiny memmap token files and run configs for the loader tests. */
final class LoaderFiles {

  static final int VOCAB = 64;
  static final int SEQ_LEN = 8;

  private LoaderFiles() {}

  /** A uint16 token file of {@code instances} random instances with ids below {@link #VOCAB}. */
  static Path tokens(Path dir, String name, int instances, long seed) throws IOException {
    SplittableRandom rnd = new SplittableRandom(seed);
    ByteBuffer buf = ByteBuffer.allocate(instances * SEQ_LEN * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < instances * SEQ_LEN; i++) {
      buf.putShort((short) rnd.nextInt(VOCAB));
    }
    return Files.write(dir.resolve(name), buf.array());
  }

  /** A label mask file (one byte per token) matching a token file of {@code instances}. */
  static Path mask(Path dir, String name, int instances, long seed) throws IOException {
    SplittableRandom rnd = new SplittableRandom(seed);
    byte[] b = new byte[instances * SEQ_LEN];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) (rnd.nextInt(4) == 0 ? 0 : 1);
    }
    return Files.write(dir.resolve(name), b);
  }

  /** A run with global batch {@code globalBatch} and micro-batch {@code microBatch} rows. */
  static TrainConfig config(List<Path> tokens, List<Path> masks, int globalBatch, int microBatch) {
    List<String> yaml = new ArrayList<>(List.of(
        "run_name: loader-test",
        "seed: 77",
        "max_duration: 20",
        "global_train_batch_size: " + globalBatch,
        "device_train_microbatch_size: " + microBatch,
        "precision: fp32",
        "model:",
        "  d_model: 16",
        "  n_heads: 2",
        "  n_layers: 1",
        "  vocab_size: " + VOCAB,
        "  embedding_size: " + VOCAB,
        "  max_sequence_length: " + SEQ_LEN,
        "  eos_token_id: 63",
        "  pad_token_id: 62",
        "data:",
        "  paths: " + tokens,
        "  memmap_dtype: uint16"));
    if (masks != null) {
      yaml.add("  label_mask_paths: " + masks);
    }
    return ConfigLoader.fromYaml(String.join("\n", yaml) + "\n", List.of());
  }
}
