package org.olmo4j.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.olmo4j.checkpoint.CheckpointStore;
import org.olmo4j.checkpoint.Manifest;
import org.olmo4j.checkpoint.ShardReader;
import org.olmo4j.config.ConfigLoader;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.exchange.ExchangeOptions;
import org.olmo4j.exchange.InProcessGroup;
import org.olmo4j.exchange.TensorExchange;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.model.OlmoModel;
import org.olmo4j.model.ShardPlan;
import org.olmo4j.optim.AdamWShard;
import org.olmo4j.train.Batch;
import org.olmo4j.train.ShardGroups;
import org.olmo4j.train.TrainCheckpoints;
import org.olmo4j.train.TrainStep;

/**
 * FULL_SHARD (ZeRO-3, unit by unit, prefetching) against SHARD_GRAD_OP (ZeRO-2) over the
 * in-process data plane: the same losses to rounding, at N = 2 and 4, with and without
 * activation checkpointing; and checkpoints of either strategy load under the other.
 */
class FullShardStepTest {

  @TempDir
  Path tmp;

  private static final int GLOBAL_BATCH = 8;
  private static final int SEQ = 16;
  /** OLMo 2 7B's peak learning rate. */
  static final double LR = 3e-4;

  static TrainConfig config(String family, String strategy, String checkpointing) {
    return config(family, strategy, checkpointing, "fp32");
  }

  static TrainConfig config(String family, String strategy, String checkpointing,
      String precision, String... more) {
    List<String> keys = new ArrayList<>(List.of("--fsdp.sharding_strategy=" + strategy,
        "--activation_checkpointing=" + checkpointing, "--precision=" + precision));
    keys.addAll(List.of(more));
    if (family.startsWith("olmo2")) {
      keys.addAll(List.of("--model.layer_norm_type=rms", "--model.layer_norm_with_affine=true",
          "--model.attention_layer_norm=true", "--model.norm_after=true",
          "--model.n_kv_heads=1", "--model.weight_tying=" + family.equals("olmo2-tied")));
    }
    return ConfigLoader.fromYaml(String.join("\n",
        "precision: fp32",
        "seed: 4321",
        "model: {d_model: 32, n_heads: 2, n_layers: 5, mlp_ratio: 4, vocab_size: 64,",
        "  embedding_size: 64, max_sequence_length: 16, eos_token_id: 63, pad_token_id: 62}",
        // eps 1e-5 (OLMo 1): with 1e-8, Adam turns gradients of rounding size into full-lr
        // updates of either sign, and two summation orders part after a few steps.
        "optimizer: {learning_rate: 0.003, weight_decay: 0.1, eps: 1.0e-5}",
        ""), keys);
  }

  /** The global batch of step {@code step}: the same on every rank and every run. */
  private static Batch globalBatch(long step) {
    return globalBatch(step, GLOBAL_BATCH);
  }

  static Batch globalBatch(long step, int sequences) {
    SplittableRandom rnd = new SplittableRandom(1000 + step);
    long[] tokens = new long[sequences * SEQ];
    long start = rnd.nextInt(60);
    for (int i = 0; i < tokens.length; i++) {
      // Counting with noise: learnable, so the losses move.
      tokens[i] = rnd.nextInt(10) == 0 ? rnd.nextInt(60) : (start + i) % 60;
    }
    return new Batch(tokens, null, sequences, SEQ);
  }

  /** Losses of steps {@code from+1 .. to} on {@code n} ranks; loads {@code load} if set, saves to {@code save}. */
  private static List<Double> train(TrainConfig cfg, int n, int from, int to, Path load,
      Path save) throws Exception {
    return train(cfg, n, 2, from, to, load, save);
  }

  /** As above, each rank's part of the batch in {@code microBatches} micro-batches (or fewer). */
  static List<Double> train(TrainConfig cfg, int n, int microBatches, int from, int to,
      Path load, Path save) throws Exception {
    List<TensorExchange> exchanges =
        InProcessGroup.newWorld(n, 1, ExchangeOptions.DEFAULTS).exchanges();
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<List<Double>>> futures = new ArrayList<>();
      for (int r = 0; r < n; r++) {
        TensorExchange ex = exchanges.get(r);
        futures.add(pool.submit(() -> rank(cfg, ex, microBatches, from, to, load, save)));
      }
      List<Double> losses = futures.get(0).get();
      for (Future<List<Double>> f : futures) {
        assertEquals(losses, f.get(), "every rank logs the global loss");
      }
      if (save != null) {
        Manifest.TrainState state = new Manifest.TrainState(to, 0, 0, 0, cfg.seed(), null);
        new CheckpointStore(save).commit(to, Manifest.of(to, 1,
            TrainCheckpoints.plans(cfg, n), state, ConfigLoader.toYaml(cfg),
            FlatLayout.of(cfg.model())));
      }
      return losses;
    } finally {
      pool.shutdown();
    }
  }

  private static List<Double> rank(TrainConfig cfg, TensorExchange ex, int microBatches,
      int from, int to, Path load, Path save) throws Exception {
    int n = ex.worldSize();
    try (NDManager m = NDManager.newBaseManager();
        OlmoModel model = TrainStep.model(cfg, m)) {
      FlatLayout layout = model.layout();
      ShardPlan plan = TrainStep.plan(cfg, ex.rank(), n);
      AdamWShard opt = new AdamWShard(layout, plan, cfg.optimizer());
      if (load == null) {
        TrainCheckpoints.initShard(cfg, layout, opt);
      } else {
        try (ShardReader reader = ShardReader.open(new CheckpointStore(load).stepDir(from),
            layout)) {
          ShardReader.ShardState s = reader.read(plan);
          opt.load(s.master(), s.expAvg(), s.expAvgSq());
        }
      }
      List<Double> losses = new ArrayList<>();
      try (TrainStep step = TrainStep.create(cfg, model, opt, ex)) {
        step.publishParameters();
        int per = GLOBAL_BATCH / n;
        for (int s = from + 1; s <= to; s++) {
          Batch part = globalBatch(s).slice(ex.rank() * per, per);
          losses.add(step.run(part, Math.max(1, per / microBatches), 1e-4, s, LR, 1.0).loss());
        }
      }
      if (save != null) {
        new CheckpointStore(save).writeShard(to, 1, ex.rank(), n, plan, opt.master(),
            opt.expAvg(), opt.expAvgSq());
      }
      return losses;
    }
  }

  static void assertClose(List<Double> expected, List<Double> actual, double relative,
      String what) {
    assertEquals(expected.size(), actual.size(), what);
    for (int i = 0; i < expected.size(); i++) {
      double e = expected.get(i);
      assertEquals(e, actual.get(i), relative * Math.abs(e), what + ", step " + (i + 1));
    }
  }

  static double maxRelative(List<Double> a, List<Double> b) {
    double worst = 0;
    for (int i = 0; i < a.size(); i++) {
      worst = Math.max(worst, Math.abs(a.get(i) - b.get(i)) / Math.abs(a.get(i)));
    }
    return worst;
  }

  /**
   * With two micro-batches per rank, N·T = 64 tokens ≤ the 64-row table: the embedding is looked
   * up sharded ({@code ShardedLookup}); with one, N·T = 128 and the table is gathered.
   */
  @ParameterizedTest(name = "{0}, N = {1}, {2} micro-batches")
  @CsvSource({"olmo2, 2, 2", "olmo2, 4, 2", "olmo, 4, 2", "olmo2, 2, 1", "olmo, 2, 1",
      "olmo2-tied, 2, 2", "olmo2-tied, 2, 1"})
  void fullShardMatchesShardGradOpFor20Steps(String family, int n, int micro) throws Exception {
    List<Double> zero2 = train(config(family, "SHARD_GRAD_OP", "null"), n, micro, 0, 20, null,
        null);
    List<Double> zero3 = train(config(family, "FULL_SHARD", "null"), n, micro, 0, 20, null, null);
    System.out.printf("FULL_SHARD vs SHARD_GRAD_OP, %s N=%d, %d micro-batches: max relative loss"
        + " difference %.2e%n", family, n, micro, maxRelative(zero2, zero3));
    // 1e-6, tighter than the 1e-5: every row agrees to 1e-7 or better, and a tied final
    // norm that never trained parted by 2.9e-5 only at step 12.
    assertClose(zero2, zero3, 1e-6, "FULL_SHARD vs SHARD_GRAD_OP");
    assertTrue(zero2.get(19) < zero2.get(0) - 0.05, "the run learns: " + zero2);
    List<Double> checkpointed = train(config(family, "FULL_SHARD", "whole_layer"), n, micro, 0,
        20, null, null);
    assertClose(zero3, checkpointed, 1e-6, "whole_layer vs no checkpointing under FULL_SHARD");
    List<Double> oneInTwo = train(config(family, "SHARD_GRAD_OP", "one_in_two"), n, micro, 0, 20,
        null, null);
    assertClose(zero2, oneInTwo, 1e-6, "one_in_two vs no checkpointing under SHARD_GRAD_OP");
  }

  /**
   * amp_bf16: each unit is gathered as the bf16 rounding of the master and computed by the bf16
   * module one unit at a time. Against SHARD_GRAD_OP within 1e-3 (a master that differs in its
   * last fp32 bits can round to the neighbouring bf16 value, as across world sizes); resumed
   * through a checkpoint, bit for bit.
   */
  @Test
  void bf16FullShardMatchesShardGradOpAndResumesExactly() throws Exception {
    List<Double> zero2 = train(config("olmo2", "SHARD_GRAD_OP", "null", "amp_bf16"), 2, 0, 20,
        null, null);
    TrainConfig full = config("olmo2", "FULL_SHARD", "one_in_two", "amp_bf16");
    List<Double> zero3 = train(full, 2, 0, 20, null, null);
    System.out.printf("amp_bf16 FULL_SHARD vs SHARD_GRAD_OP, N=2: max relative loss difference %.2e%n",
        maxRelative(zero2, zero3));
    assertClose(zero2, zero3, 1e-3, "amp_bf16 FULL_SHARD vs SHARD_GRAD_OP");
    Path saved = tmp.resolve("bf16-full2");
    train(full, 2, 0, 10, null, saved);
    assertEquals(zero3.subList(10, 20), train(full, 2, 10, 20, saved, null),
        "amp_bf16 FULL_SHARD resumed");
  }

  /**
   * HYBRID_SHARD's step: 2 groups × 2 ranks laid out by {@link ShardGroups} (rank r: shard group
   * r / 2, replica group r % 2), units sharded inside each group (in-process worlds of their
   * own), gradient pieces and the loss terms summed across the groups: within 1e-4 of one worker.
   */
  @Test
  void hybridShardTwoGroupsOfTwoMatchesOneWorker() throws Exception {
    TrainConfig zero2 = config("olmo2", "SHARD_GRAD_OP", "null");
    List<Double> one = train(zero2, 1, 0, 20, null, null);
    TrainConfig hybrid = config("olmo2", "HYBRID_SHARD", "null");
    ShardGroups layout = new ShardGroups(4, 2);
    List<List<TensorExchange>> groups = List.of(
        InProcessGroup.newWorld(2, 1, ExchangeOptions.DEFAULTS).exchanges(),
        InProcessGroup.newWorld(2, 1, ExchangeOptions.DEFAULTS).exchanges());
    List<List<TensorExchange>> replicas = List.of(
        InProcessGroup.newWorld(2, 1, ExchangeOptions.DEFAULTS).exchanges(),
        InProcessGroup.newWorld(2, 1, ExchangeOptions.DEFAULTS).exchanges());
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<List<Double>>> futures = new ArrayList<>();
      for (int r = 0; r < 4; r++) {
        int rank = r;
        TensorExchange shard = groups.get(layout.replicaIndex(rank)).get(layout.shardRank(rank));
        TensorExchange replica = replicas.get(layout.shardRank(rank)).get(layout.replicaIndex(rank));
        futures.add(pool.submit(() -> hybridRank(hybrid, layout, rank, shard, replica)));
      }
      List<Double> losses = futures.get(0).get();
      for (Future<List<Double>> f : futures) {
        assertEquals(losses, f.get(), "every rank logs the global loss");
      }
      System.out.printf("HYBRID_SHARD 2x2 vs one worker: max relative loss difference %.2e%n",
          maxRelative(one, losses));
      assertClose(one, losses, 1e-4, "HYBRID_SHARD 2 groups x 2 vs N=1");
    } finally {
      pool.shutdown();
    }
  }

  private static List<Double> hybridRank(TrainConfig cfg, ShardGroups layout, int rank,
      TensorExchange shard, TensorExchange replica) throws Exception {
    try (NDManager m = NDManager.newBaseManager();
        OlmoModel model = TrainStep.model(cfg, m)) {
      FlatLayout flat = model.layout();
      AdamWShard opt = new AdamWShard(flat, TrainStep.plan(cfg, layout, rank), cfg.optimizer());
      TrainCheckpoints.initShard(cfg, flat, opt);
      List<Double> losses = new ArrayList<>();
      try (TrainStep step = TrainStep.create(cfg, model, opt, shard, replica)) {
        int per = GLOBAL_BATCH / layout.worldSize();
        for (int s = 1; s <= 20; s++) {
          Batch part = globalBatch(s).slice(rank * per, per);
          losses.add(step.run(part, Math.max(1, per / 2), 1e-4, s, LR, 1.0).loss());
        }
      }
      return losses;
    }
  }

  @Test
  void checkpointsOfEitherStrategyLoadUnderTheOther() throws Exception {
    TrainConfig full = config("olmo2", "FULL_SHARD", "null");
    TrainConfig zero2 = config("olmo2", "SHARD_GRAD_OP", "null");
    List<Double> straight = train(full, 2, 0, 20, null, null);

    // FULL_SHARD N=2 → step 10 → re-sharded as SHARD_GRAD_OP N=3 (weights and moments read and
    // written again unchanged) → FULL_SHARD N=2 again: the same run, bit for bit.
    Path first = tmp.resolve("full2");
    Path second = tmp.resolve("zero3");
    train(full, 2, 0, 10, null, first);
    train(zero2, 3, 10, 10, first, second);
    List<Double> resumed = train(full, 2, 10, 20, second, null);
    assertEquals(straight.subList(10, 20), resumed, "resumed through a SHARD_GRAD_OP checkpoint");

    // A FULL_SHARD checkpoint continued under SHARD_GRAD_OP at N = 4: the same run to rounding.
    List<Double> other = train(zero2, 4, 10, 20, first, null);
    assertClose(straight.subList(10, 20), other, 1e-5, "FULL_SHARD checkpoint under SHARD_GRAD_OP");
  }
}
