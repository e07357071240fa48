package org.olmo4j.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.olmo4j.config.ConfigLoader;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.model.Architecture;

/**
 * {@code bench memory}'s measurement on two rank JVMs: a FULL_SHARD rank holds its 16Ψ/N of
 * shards and about two blocks' parameters and gradients, not the whole model.
 */
class MemoryBenchmarkTest {

  @Test
  void aFullShardRankHoldsItsShardsAndTwoBlocks() throws Exception {
    TrainConfig cfg = ConfigLoader.fromYaml(String.join("\n",
        "precision: fp32",
        "global_train_batch_size: 2",
        "device_train_microbatch_size: 1",
        "fsdp: {sharding_strategy: FULL_SHARD}",
        "model: {d_model: 128, n_heads: 4, n_layers: 6, mlp_ratio: 8, vocab_size: 64,",
        "  embedding_size: 64, max_sequence_length: 32, eos_token_id: 63, pad_token_id: 62,",
        "  weight_tying: false}",
        ""), List.of());
    Architecture arch = Architecture.of(cfg.model());
    long psi = arch.layout().totalElements();
    long block = arch.units().get(1).range().length();
    List<Path> before = benchFolders();
    List<MemoryBenchmark.RankFigures> ranks = MemoryBenchmark.run(cfg, 2, 2, 1);
    assertEquals(2, ranks.size());
    assertEquals(before, benchFolders(), "the benchmark's temporary folder is removed");
    for (MemoryBenchmark.RankFigures f : ranks) {
      long shard = (psi + 1) / 2; // ~Ψ/2: the even split of every unit
      assertTrue(Math.abs(f.masterBytes() - 4 * shard) <= 4 * arch.units().size(), f.toString());
      long target = 16 * psi / 2 + 2 * 8 * block;
      assertTrue(f.paramGradOptimizerBytes() <= 1.15 * target, "rank " + f.rank() + ": "
          + f.paramGradOptimizerBytes() + " bytes of parameters, gradients and optimizer state;"
          + " 16Ψ/N + 2 blocks = " + target + " (" + f + ")");
      // The whole model's compute copy and gradient (8Ψ) would not fit in that.
      assertTrue(f.buffersPeak() + f.autogradGradients() < 4 * psi, f.toString());
    }
  }

  private static List<Path> benchFolders() throws IOException {
    try (Stream<Path> files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return files.filter(f -> f.getFileName().toString().startsWith("olmo4j-bench-memory"))
          .sorted().toList();
    }
  }
}
