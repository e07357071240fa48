package org.olmo4j.worker;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.olmo4j.checkpoint.DurableFiles;
import org.olmo4j.config.ConfigLoader;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.exchange.ExchangeOptions;
import org.olmo4j.exchange.ExchangeServer;
import org.olmo4j.exchange.LoopbackRendezvous;
import org.olmo4j.exchange.NetworkExchange;
import org.olmo4j.model.Architecture;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.model.FlatVector;
import org.olmo4j.model.VectorMemory;
import org.olmo4j.model.OlmoModel;
import org.olmo4j.model.ShardPlan;
import org.olmo4j.optim.AdamWShard;
import org.olmo4j.train.Batch;
import org.olmo4j.train.ChildJvm;
import org.olmo4j.train.ProcessMemory;
import org.olmo4j.train.TrainCheckpoints;
import org.olmo4j.train.TrainStep;

/**
 * Memory of a training step, per rank, each rank a JVM of its own on 127.0.0.1 (network
 * exchange), for {@code bin/olmo4j bench memory}.
 *
 * <p>Every rank trains a few steps on random tokens with the config's strategy and measures the
 * last one: its shards (master, AdamW moments, gradient shard: sizes), the step's flat buffers
 * (compute copy, gathered units, gradient vectors: {@link FlatVector}'s accounting, at rest and
 * at their most during the step), autograd's gradients (the parameter arrays that hold one), the
 * peak of the rest of the step's memory (activations: VmHWM during the step above the RSS before
 * it, less the step's extra buffers and gradients) and the RSS. The JVMs run with {@code
 * MALLOC_MMAP_THRESHOLD_=65536}, so freed tensors go back to the system and VmHWM follows what is
 * live, and with a fixed pre-touched heap, so heap growth is not counted.
 */
public final class MemoryBenchmark {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** One rank's figures, in bytes. */
  public record RankFigures(int rank, long masterBytes, long adamBytes, long gradShardBytes,
      long buffersAtRest, long buffersPeak, long autogradGradients, long activationsPeak,
      long rss, long peakRss, boolean peakMeasured) {

    /** Parameters, gradients and optimizer state at their most: what FSDP's targets count. */
    public long paramGradOptimizerBytes() {
      return masterBytes + adamBytes + gradShardBytes + buffersPeak + autogradGradients;
    }
  }

  private MemoryBenchmark() {}

  /** Runs {@code workers} rank JVMs on {@code cfg} for {@code steps} steps; figures in rank order. */
  public static List<RankFigures> run(TrainConfig cfg, int workers, int steps, int torchThreads)
      throws Exception {
    Path dir = Files.createTempDirectory("olmo4j-bench-memory");
    Path yaml = dir.resolve("config.yaml");
    Files.writeString(yaml, ConfigLoader.toYaml(cfg));
    List<Process> ranks = new ArrayList<>();
    List<BufferedReader> outputs = new ArrayList<>();
    try {
      // A fixed, pre-touched heap (the shards live there): the heap does not grow during the
      // measured step, so VmHWM above the RSS before it is native memory the step allocated.
      long psi = FlatLayout.of(cfg.model()).totalElements();
      long heapMiB = 384 + 2 * (16 * psi / workers >> 20);
      for (int r = 0; r < workers; r++) {
        List<String> cmd = ChildJvm.command(List.of("-Xms" + heapMiB + "m", "-Xmx" + heapMiB + "m",
                "-XX:+AlwaysPreTouch", "-XX:MaxDirectMemorySize=64g", "-Dai.djl.offline=true",
                "-Dai.djl.pytorch.num_threads=" + torchThreads,
                "-Dai.djl.pytorch.num_interop_threads=1"),
            MemoryBenchmark.class.getName(),
            List.of(yaml.toString(), dir.resolve("rank" + r + ".json").toString(),
                String.valueOf(steps)));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("MALLOC_MMAP_THRESHOLD_", "65536");
        Process p = pb.start();
        ranks.add(p);
        outputs.add(LoopbackRendezvous.output(p));
      }
      LoopbackRendezvous.formWorldOfChildren(ranks, outputs, 1);
      List<RankFigures> out = new ArrayList<>();
      for (int r = 0; r < workers; r++) {
        Process p = ranks.get(r);
        if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
          throw new IllegalStateException("rank " + r + " of the memory benchmark failed (exit "
              + (p.isAlive() ? "none, still running" : p.exitValue()) + "); its output is above");
        }
        out.add(JSON.readValue(dir.resolve("rank" + r + ".json").toFile(), RankFigures.class));
      }
      return out;
    } finally {
      for (Process p : ranks) {
        p.destroyForcibly();
      }
      for (Process p : ranks) {
        p.waitFor(30, TimeUnit.SECONDS); // the ranks' files go once nothing writes them
      }
      DurableFiles.deleteRecursively(dir); // the config and the ranks' figures, read above
    }
  }

  /** A rank: {@code CONFIG_YAML OUT_JSON STEPS}. */
  public static void main(String[] args) throws Exception {
    TrainConfig cfg = ConfigLoader.fromYaml(Files.readString(Path.of(args[0])), List.of());
    int steps = Integer.parseInt(args[2]);
    ExchangeOptions options = ExchangeOptions.DEFAULTS;
    try (ExchangeServer server = ExchangeServer.start(
            new InetSocketAddress(LoopbackRendezvous.HOST, 0));
        NetworkExchange ex = LoopbackRendezvous.joinAsChild(server, options)) {
      RankFigures f = measure(cfg, ex, steps);
      JSON.writeValue(Path.of(args[1]).toFile(), f);
    }
    System.exit(0);
  }

  private static RankFigures measure(TrainConfig cfg, NetworkExchange ex, int steps) {
    int n = ex.worldSize();
    int perRank = cfg.globalTrainBatchSize() / n;
    int seq = cfg.model().maxSequenceLength();
    try (NDManager m = NDManager.newBaseManager();
        OlmoModel model = TrainStep.model(cfg, m)) {
      FlatLayout layout = model.layout();
      ShardPlan plan = TrainStep.plan(cfg, ex.rank(), n);
      AdamWShard opt = new AdamWShard(layout, plan, cfg.optimizer());
      TrainCheckpoints.initShard(cfg, layout, opt);
      long buffersAtRest;
      long buffersPeak;
      long before;
      long peak;
      boolean reset;
      try (TrainStep step = TrainStep.create(cfg, model, opt, ex)) {
        step.publishParameters();
        SplittableRandom rnd = new SplittableRandom(17 + ex.rank());
        for (int s = 1; s < steps; s++) {
          step.run(batch(rnd, perRank, seq, cfg.model().vocabSize()),
              cfg.deviceTrainMicrobatchSize(), 0, s, 1e-4, 1.0);
        }
        Batch last = batch(rnd, perRank, seq, cfg.model().vocabSize());
        System.gc();
        buffersAtRest = VectorMemory.liveBytes();
        VectorMemory.resetPeak();
        reset = ProcessMemory.resetPeak();
        before = ProcessMemory.rssBytes();
        step.run(last, cfg.deviceTrainMicrobatchSize(), 0, steps, 1e-4, 1.0);
        peak = ProcessMemory.peakRssBytes();
        buffersPeak = VectorMemory.peakBytes();
      }
      long[] grads = autogradGradients(cfg, model);
      long shard = plan.length();
      long activations = peak - before - (buffersPeak - buffersAtRest) - grads[1];
      return new RankFigures(ex.rank(), 4 * shard, 8 * shard, 4 * shard, buffersAtRest,
          buffersPeak, grads[0] + grads[1], Math.max(0, activations), ProcessMemory.rssBytes(),
          peak, reset);
    }
  }

  /**
   * Bytes of autograd's gradients: {@code [held between steps, most held only during a step]}.
   * A whole-model step keeps every parameter's gradient; a FULL_SHARD model none between steps,
   * and during one the gradients of the unit that just ran its backward: at most the largest unit
   * (a tied embedding's is held from the head's backward on: the embedding's plus a block's). The
   * gradients of the unit before it, held while their reduce-scatter reads them in place, are
   * counted with the buffers ({@link FlatVector#viewing} counts as live).
   */
  static long[] autogradGradients(TrainConfig cfg, OlmoModel model) {
    if (!model.unitwise()) {
      return new long[] {4 * model.layout().totalElements(), 0};
    }
    List<Architecture.Unit> units = model.architecture().units();
    long largest = 0;
    for (Architecture.Unit u : units) {
      largest = Math.max(largest, u.range().length());
    }
    if (cfg.model().weightTying()) {
      largest = Math.max(largest, units.get(0).range().length() + units.get(1).range().length());
    }
    return new long[] {0, 4 * largest};
  }

  private static Batch batch(SplittableRandom rnd, int size, int seq, int vocab) {
    long[] tokens = new long[size * seq];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = rnd.nextInt(vocab);
    }
    return new Batch(tokens, null, size, seq);
  }
}
