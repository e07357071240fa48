package org.olmo4j.cli;

import java.util.List;
import java.util.concurrent.Callable;
import org.olmo4j.config.ActivationCheckpointing;
import org.olmo4j.config.Precision;
import org.olmo4j.config.ShardingStrategy;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.model.Architecture;
import org.olmo4j.train.FullShardStep;
import org.olmo4j.worker.MemoryBenchmark;
import org.olmo4j.worker.MemoryBenchmark.RankFigures;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code olmo4j bench memory CONFIG}: per rank, the bytes of a training step under a sharding
 * strategy (each rank a JVM on 127.0.0.1), against the formula the README's table uses and
 * FULL_SHARD's target; with {@code --compare-checkpointing}, peak activations with and without
 * whole_layer activation checkpointing.
 */
@Command(name = "memory", mixinStandardHelpOptions = true,
    description = "Per-rank memory of a step: shards, buffers, gradients, activations, RSS.")
final class BenchMemoryCommand implements Callable<Integer> {

  private static final double MIB = 1 << 20;

  @Mixin RunConfig run;

  @Option(names = "--workers", defaultValue = "4", description = "Ranks, one JVM each (default ${DEFAULT-VALUE})")
  int workers;

  @Option(names = "--strategy", description = "fsdp.sharding_strategy (default: the config's)")
  ShardingStrategy strategy;

  @Option(names = "--steps", defaultValue = "3", description = "Steps per rank, the last measured (default ${DEFAULT-VALUE})")
  int steps;

  @Option(names = "--threads", defaultValue = "1", description = "libtorch threads per rank (default ${DEFAULT-VALUE})")
  int threads;

  @Option(names = "--compare-checkpointing",
      description = "Also run with activation_checkpointing whole_layer and none; print the ratio of peak activations")
  boolean compareCheckpointing;

  @Override
  public Integer call() throws Exception {
    TrainConfig cfg = strategy == null ? run.load("--evaluators=[]")
        : run.load("--evaluators=[]", "--fsdp.sharding_strategy=" + strategy.yamlName());
    Architecture arch = Architecture.of(cfg.model());
    long psi = arch.layout().totalElements();
    System.out.printf("%s: Ψ = %,d parameters, %d layers; %s, activation_checkpointing %s,"
            + " %d ranks (one JVM each), micro-batch %d × %d tokens%n",
        run.config, psi, cfg.model().nLayers(), cfg.fsdp().shardingStrategy().yamlName(),
        name(cfg.activationCheckpointing()), workers, cfg.deviceTrainMicrobatchSize(),
        cfg.model().maxSequenceLength());
    List<RankFigures> ranks = MemoryBenchmark.run(cfg, workers, steps, threads);
    System.out.printf("  %4s %9s %9s %9s %11s %11s %9s %11s %11s %9s %9s%n", "rank", "master",
        "AdamW", "grad sh.", "buffers", "buf. peak", "autograd", "P+G+O", "activations", "RSS",
        "RSS peak");
    for (RankFigures f : ranks) {
      System.out.printf("  %4d %9s %9s %9s %11s %11s %9s %11s %11s %9s %9s%n", f.rank(),
          mib(f.masterBytes()), mib(f.adamBytes()), mib(f.gradShardBytes()), mib(f.buffersAtRest()),
          mib(f.buffersPeak()), mib(f.autogradGradients()), mib(f.paramGradOptimizerBytes()),
          f.peakMeasured() ? mib(f.activationsPeak()) : "n/a", mib(f.rss()), mib(f.peakRss()));
    }
    System.out.println("  MiB; P+G+O: master + AdamW + gradient shard + buffers at their peak +"
        + " autograd's gradients (the parameter, gradient and optimizer bytes at their most)");

    long most = ranks.stream().mapToLong(RankFigures::paramGradOptimizerBytes).max().orElse(0);
    long formula = formula(cfg, arch, workers);
    System.out.printf("  formula (README's table): %s MiB; measured (largest rank) %s MiB = %.3f ×"
        + " the formula (target within 10%%)%n", mib(formula), mib(most), (double) most / formula);
    if (cfg.fsdp().shardingStrategy() == ShardingStrategy.FULL_SHARD) {
      long block = arch.units().get(1).range().length();
      long target = 16 * psi / workers + 2 * 8 * block;
      System.out.printf("  FULL_SHARD target: P+G+O ≤ 1.15 × (16Ψ/N + 2 blocks' gathered parameters and"
              + " gradients) = 1.15 × %s MiB: measured %.3f × %s%n", mib(target),
          (double) most / target, most <= 1.15 * target ? "met" : "NOT met");
    }
    if (compareCheckpointing) {
      TrainConfig none = run.load("--evaluators=[]", "--activation_checkpointing=null",
          "--fsdp.sharding_strategy=" + cfg.fsdp().shardingStrategy().yamlName());
      TrainConfig whole = run.load("--evaluators=[]", "--activation_checkpointing=whole_layer",
          "--fsdp.sharding_strategy=" + cfg.fsdp().shardingStrategy().yamlName());
      long a = MemoryBenchmark.run(none, workers, steps, threads).get(0).activationsPeak();
      long b = MemoryBenchmark.run(whole, workers, steps, threads).get(0).activationsPeak();
      System.out.printf("  peak activations, rank 0: none %s MiB, whole_layer %s MiB = %.3f of none"
          + " (target ≤ 0.3 at n_layers = 8; here n_layers = %d)%n", mib(a), mib(b),
          (double) b / a, cfg.model().nLayers());
    }
    return 0;
  }

  /**
   * The README's per-rank formula for parameters, gradients and optimizer state. SHARD_GRAD_OP:
   * 16Ψ/N + 12Ψ (compute copy, flat gradient, autograd's gradients; + 2Ψ for the bf16 copy).
   * FULL_SHARD: 16Ψ/N + 8·P_block (two block slots) + 4·S (a unit's gradients held in autograd's
   * memory while their reduce-scatter reads them, beside the next unit's backward; S = the
   * longest unit reduced so: a block, the embedding when it is gathered, the head's gradient in a
   * step of one micro-batch) + 4·H (over several micro-batches, the head's gradient summed:
   * an untied head's, or a tied table's when the embedding is looked up sharded; H = 0 for a
   * tied table gathered) + the most of: 4·P_block (a block's gradients) and 8·E (the
   * embedding's or head's gathered values and gradients; E = the larger of them). A tied table is
   * held through the blocks: + 4·E beside the block's 4·P_block, and + 4·E more for its
   * gradient when it was gathered for the embedding.
   */
  static long formula(TrainConfig cfg, Architecture arch, int n) {
    long psi = arch.layout().totalElements();
    long shards = 16 * psi / n;
    if (!cfg.fsdp().shardingStrategy().shardsParameters()) {
      return shards + 12 * psi + (cfg.precision() == Precision.AMP_BF16 ? 2 * psi : 0);
    }
    List<Architecture.Unit> units = arch.units();
    long block = units.get(1).range().length();
    long embed = units.get(0).range().length();
    long head = units.get(units.size() - 1).range().length(); // 0 when tied
    long outer = Math.max(embed, head);
    boolean tied = cfg.model().weightTying();
    boolean sharded = FullShardStep.looksUpSharded(n,
        (long) cfg.deviceTrainMicrobatchSize() * cfg.model().maxSequenceLength(), arch);
    boolean severalMicroBatches =
        cfg.globalTrainBatchSize() > (long) n * cfg.deviceTrainMicrobatchSize();
    long headGrads = tied ? (sharded ? embed : 0) : head;
    long held = 4 * Math.max(block, Math.max(sharded ? 0 : embed,
        severalMicroBatches ? 0 : headGrads));
    long summed = severalMicroBatches ? 4 * headGrads : 0;
    long during = !tied ? 4 * block : 4 * block + (sharded ? 4 : 8) * embed;
    return shards + 8 * block + held + summed + Math.max(during, 8 * outer);
  }

  private static String name(ActivationCheckpointing a) {
    return a == null ? "none" : a.yamlName();
  }

  private static String mib(long bytes) {
    return String.format("%.1f", bytes / MIB);
  }
}
