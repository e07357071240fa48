package org.olmo4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.olmo4j.checkpoint.DurableFiles;
import org.olmo4j.config.ConfigLoader;
import org.olmo4j.config.Precision;
import org.olmo4j.config.ShardingStrategy;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.exchange.BulkTransport;
import org.olmo4j.exchange.ExchangeBenchmark;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.train.ChildJvm;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code olmo4j bench workers CONFIG}: training tokens/s of one worker against two workers on
 * this machine with the same total threads (one JVM with T libtorch threads; two JVMs on 127.0.0.1
 * with T/2 each, network exchange), the share of the step spent in the exchange, and how much of
 * it is data transfer (the collectives measured alone at the model's Ψ): the most that overlapping
 * the exchange with backward could hide.
 */
@Command(name = "workers", mixinStandardHelpOptions = true,
    description = "Tokens/s of 1 vs 2 workers (same total threads), exchange share, what overlap could gain.")
final class BenchWorkersCommand implements Callable<Integer> {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Mixin RunConfig run;

  @Option(names = "--steps", defaultValue = "15", description = "Measured steps (default ${DEFAULT-VALUE})")
  int steps;

  @Option(names = "--warmup", defaultValue = "3", description = "Unmeasured first steps (default ${DEFAULT-VALUE})")
  int warmup;

  @Option(names = "--threads", defaultValue = "2", description = "libtorch threads in all (default ${DEFAULT-VALUE})")
  int threads;

  @Option(names = "--strategy",
      description = "Compare 2 workers under SHARD_GRAD_OP and this fsdp.sharding_strategy instead of 1 vs 2 workers")
  ShardingStrategy strategy;

  @Option(names = "--rounds", defaultValue = "1",
      description = "With --strategy: SHARD_GRAD_OP and the strategy run in turn this many times;"
          + " the ratio over all rounds too (default ${DEFAULT-VALUE})")
  int rounds;

  /** Means over the measured steps of one run. */
  /**
   * Per step after the warm-up: means, and the medians of the step time and of the exposed and
   * own collective time. On a shared 2-core machine one step now and then takes several times
   * the others (another process, the kernel): the medians show what a typical step did.
   */
  record Means(double tokensPerSecond, double step, double compute, double exchange,
      double optimizer, double collective, double medianStep, double medianExchange,
      double medianCollective, Exposure slowest, Exposure medianSlowest) {}

  /** The slowest rank's (longest compute) wait for collectives and their own time. */
  record Exposure(double exchange, double collective) {
    double ratio() {
      return exchange / collective;
    }
  }

  @Override
  public Integer call() throws Exception {
    if (threads < 2 || threads % 2 != 0) {
      throw new IllegalArgumentException("--threads must be even and >= 2 (split over two workers), got " + threads);
    }
    Path tmp = Files.createTempDirectory("olmo4j-bench-workers");
    int rc = runIn(tmp);
    // The runs' checkpoints (their final one is the model's size: 5 GB on the 237 M config) go;
    // after a failure the folder stays, with the logs its message names.
    DurableFiles.deleteRecursively(tmp);
    return rc;
  }

  private int runIn(Path tmp) throws Exception {
    TrainConfig cfg = run.loadForTraining("--save_folder=" + tmp.resolve("unused"));
    Path cfgFile = tmp.resolve("config.yaml");
    Files.writeString(cfgFile, ConfigLoader.toYaml(cfg));
    List<String> common = List.of("--max_duration=" + (warmup + steps), "--save_interval=1000000000",
        "--save_interval_unsharded=null", "--eval_interval=1000000000", "--control.port=0",
        "--try_load_latest_save=false", "--load_path=null");
    System.out.printf("training on %s: %d steps after %d warm-up, %d libtorch threads in all, %d CPUs%n",
        run.config, steps, warmup, threads, Runtime.getRuntime().availableProcessors());
    if (strategy != null) {
      return compareStrategies(cfgFile, tmp, common);
    }

    Path one = tmp.resolve("one");
    Process p = start(cfgFile, threads, tmp.resolve("one.log"), "train", common, "--save_folder=" + one,
        "--port=0", "--cluster.workers_per_node=1", "--cluster.min_workers=1", "--cluster.max_workers=1");
    await(p, "1-worker run", tmp.resolve("one.log"));
    Means m1 = means(one.resolve("metrics.jsonl"));

    Path two = tmp.resolve("two");
    int port = freePort();
    List<String> world = List.of("--save_folder=" + two, "--cluster.workers_per_node=1",
        "--cluster.min_workers=2", "--cluster.max_workers=2");
    Process seed = start(cfgFile, threads / 2, tmp.resolve("seed.log"), "train", common,
        concat(world, "--port=" + port));
    Process node = start(cfgFile, threads / 2, tmp.resolve("node.log"), "node", common,
        concat(world, "--seed-nodes=127.0.0.1:" + port, "--port=0"));
    awaitBoth(seed, node, "2-worker run", tmp.resolve("seed.log"), tmp.resolve("node.log"));
    Means m2 = means(two.resolve("metrics.jsonl"));

    System.out.println("  step, compute, exchange, optimizer: mean seconds per step; exchange is the"
        + " slowest rank's time in collectives, waiting for the others included");
    print("1 worker  (1 JVM, " + threads + " threads)", m1);
    print("2 workers (2 JVMs, " + threads / 2 + " threads each)", m2);
    System.out.printf("  2 workers give %.2f x the tokens/s of 1%n", m2.tokensPerSecond() / m1.tokensPerSecond());

    long psi = FlatLayout.of(cfg.model()).totalElements();
    int mib = (int) Math.max(1, (psi * Float.BYTES + (1 << 20) - 1) >> 20);
    ExchangeBenchmark.Seconds c = ExchangeBenchmark.collectives(2, mib,
        cfg.cluster().dataPlane().unixSockets() ? BulkTransport.UNIX : BulkTransport.TCP);
    boolean bf16 = cfg.precision() == Precision.AMP_BF16;
    double transfer = c.reduceScatter() + (bf16 ? c.allGatherBf16() : c.allGatherFp32());
    System.out.printf("  the collectives alone at Ψ = %d (%d MiB fp32), 2 JVMs: reduce-scatter %.1f ms"
        + " + all-gather %s %.1f ms = %.1f ms = %.1f%% of the 2-worker step%n", psi, mib,
        c.reduceScatter() * 1e3, bf16 ? "bf16" : "fp32",
        (bf16 ? c.allGatherBf16() : c.allGatherFp32()) * 1e3, transfer * 1e3, 100 * transfer / m2.step());
    System.out.printf("  overlapping the exchange with backward could hide at most that: %.1f ms per step"
        + " (%.1f%%); the other %.1f ms of the measured exchange are ranks waiting at the step's first"
        + " all-reduce for the slower one, which only balancing the ranks removes%n",
        transfer * 1e3, 100 * transfer / m2.step(), Math.max(0, m2.exchange() - transfer) * 1e3);
    return 0;
  }

  /**
   * Two workers (two JVMs, T/2 threads each) under SHARD_GRAD_OP and under {@link #strategy}:
   * tokens/s of each, and how much of the strategy's collective time is exposed (the slowest
   * rank's wait for collectives over the collectives' own time).
   */
  private Integer compareStrategies(Path cfgFile, Path tmp, List<String> common) throws Exception {
    if (rounds < 1) {
      throw new IllegalArgumentException("--rounds must be >= 1, got " + rounds);
    }
    List<String> all = new ArrayList<>(common);
    all.add("--evaluators=[]");
    double[] ratios = new double[rounds];
    double baseTokens = 0;
    double otherTokens = 0;
    double exposed = 0;
    double collectives = 0;
    for (int r = 0; r < rounds; r++) {
      // In turn, so that a slower spell of a shared machine falls on both strategies alike.
      Path zero2 = tmp.resolve("zero2-" + r);
      Path strat = tmp.resolve("other-" + r);
      Means base = twoWorkers(cfgFile, zero2, all, ShardingStrategy.SHARD_GRAD_OP);
      Means other = twoWorkers(cfgFile, strat, all, strategy);
      DurableFiles.deleteRecursively(zero2);
      DurableFiles.deleteRecursively(strat);
      if (rounds > 1) {
        System.out.printf("round %d of %d%n", r + 1, rounds);
      }
      report(base, other);
      ratios[r] = other.tokensPerSecond() / base.tokensPerSecond();
      baseTokens += base.tokensPerSecond();
      otherTokens += other.tokensPerSecond();
      exposed += other.slowest().exchange();
      collectives += other.slowest().collective();
    }
    if (rounds > 1) {
      double[] sorted = ratios.clone();
      Arrays.sort(sorted);
      double median = rounds % 2 == 1 ? sorted[rounds / 2]
          : (sorted[rounds / 2 - 1] + sorted[rounds / 2]) / 2;
      System.out.printf("over %d rounds: %s gives %.3f x the tokens/s of SHARD_GRAD_OP (mean"
              + " tokens/s over mean tokens/s; target >= 0.9 for FULL_SHARD), the rounds' ratios"
              + " %s (median %.3f); exposed communication of the slowest rank %.3f of its"
              + " collectives (target <= 0.25)%n", rounds, strategy.yamlName(),
          otherTokens / baseTokens, Arrays.toString(
              Arrays.stream(ratios).map(x -> Math.round(x * 1000) / 1000.0).toArray()),
          median, exposed / collectives);
    }
    return 0;
  }

  private void report(Means base, Means other) {
    System.out.println("  step, compute, exchange, optimizer: mean seconds per step, the most of any"
        + " rank; exchange: time a rank waited for collectives; collectives: their own time,"
        + " hidden behind compute or not");
    print("2 workers, SHARD_GRAD_OP", base);
    print("2 workers, " + strategy.yamlName(), other);
    System.out.printf("  %s gives %.3f x the tokens/s of SHARD_GRAD_OP (target >= 0.9 for FULL_SHARD);"
            + " median steps: %.3f x%n", strategy.yamlName(),
        other.tokensPerSecond() / base.tokensPerSecond(), base.medianStep() / other.medianStep());
    Exposure s = other.slowest();
    Exposure ms = other.medianSlowest();
    System.out.printf("  %s: exposed communication of the slowest rank (longest compute) %.1f ms of"
            + " its %.1f ms of collectives per step = %.3f (target <= 0.25); medians: %.1f of %.1f"
            + " ms = %.3f%n", strategy.yamlName(), s.exchange() * 1e3, s.collective() * 1e3,
        s.ratio(), ms.exchange() * 1e3, ms.collective() * 1e3, ms.ratio());
    System.out.printf("  %s: the most any rank waited, %.1f ms of the most any rank spent in"
            + " collectives, %.1f ms = %.3f (medians %.3f): a faster rank's wait for the slower"
            + " one's compute included%n", strategy.yamlName(), other.exchange() * 1e3,
        other.collective() * 1e3, other.exchange() / other.collective(),
        other.medianExchange() / other.medianCollective());
  }

  private Means twoWorkers(Path cfgFile, Path folder, List<String> common, ShardingStrategy s)
      throws Exception {
    Path logs = folder.resolveSibling(folder.getFileName() + "-logs");
    Files.createDirectories(logs);
    int port = freePort();
    List<String> world = List.of("--save_folder=" + folder, "--cluster.workers_per_node=1",
        "--cluster.min_workers=2", "--cluster.max_workers=2",
        "--fsdp.sharding_strategy=" + s.yamlName());
    Process seed = start(cfgFile, threads / 2, logs.resolve("seed.log"), "train", common,
        concat(world, "--port=" + port));
    Process node = start(cfgFile, threads / 2, logs.resolve("node.log"), "node", common,
        concat(world, "--seed-nodes=127.0.0.1:" + port, "--port=0"));
    awaitBoth(seed, node, s.yamlName() + " run", logs.resolve("seed.log"),
        logs.resolve("node.log"));
    return means(folder.resolve("metrics.jsonl"));
  }

  private static void print(String what, Means m) {
    System.out.printf("  %-36s %8.1f tokens/s  step %.3f (median %.3f)  compute %.3f  exchange %.3f (%.1f%%)"
            + "  optimizer %.3f%n", what, m.tokensPerSecond(), m.step(), m.medianStep(), m.compute(),
        m.exchange(), 100 * m.exchange() / m.step(), m.optimizer());
  }

  private static List<String> concat(List<String> a, String... b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(List.of(b));
    return out;
  }

  private static Process start(Path cfg, int torchThreads, Path log, String command,
      List<String> common, List<String> args) throws IOException {
    return start(cfg, torchThreads, log, command, common, args.toArray(String[]::new));
  }

  /** A child JVM running {@code olmo4j COMMAND CONFIG …} with {@code torchThreads} libtorch threads. */
  private static Process start(Path cfg, int torchThreads, Path log, String command,
      List<String> common, String... args) throws IOException {
    List<String> all = new ArrayList<>(List.of(command, cfg.toString()));
    all.addAll(common);
    all.addAll(List.of(args));
    // A measurement, not a fault test: two JVMs setting up a 237 M model on two shared cores
    // have stalled heartbeats for 6.6 s, and the default 3 s pause then removed a live node.
    List<String> cmd = ChildJvm.command(List.of("-Xmx4g", "-Dai.djl.offline=true",
        "-Dai.djl.pytorch.num_threads=" + torchThreads, "-Dai.djl.pytorch.num_interop_threads=1",
        "-Dpekko.cluster.failure-detector.acceptable-heartbeat-pause=30s"),
        "org.olmo4j.cli.Main", all);
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  /**
   * Waits for the two JVMs of a two-worker run. When one fails the other is stopped at once: the
   * survivor would wait for cluster.min_workers = 2 for ever.
   */
  private static void awaitBoth(Process seed, Process node, String what, Path seedLog,
      Path nodeLog) throws Exception {
    try {
      CompletableFuture.anyOf(seed.onExit(), node.onExit()).get(30, TimeUnit.MINUTES);
    } catch (TimeoutException e) {
      seed.destroyForcibly();
      node.destroyForcibly();
      throw new IllegalStateException(what + " did not finish in 30 min; see " + seedLog
          + " and " + nodeLog);
    }
    boolean seedFirst = !seed.isAlive();
    Process first = seedFirst ? seed : node;
    if (first.exitValue() != 0) {
      (seedFirst ? node : seed).destroyForcibly();
    }
    await(first, what + (seedFirst ? " (seed)" : " (node)"), seedFirst ? seedLog : nodeLog);
    await(seedFirst ? node : seed, what + (seedFirst ? " (node)" : " (seed)"),
        seedFirst ? nodeLog : seedLog);
  }

  private static void await(Process p, String what, Path log) throws Exception {
    if (!p.waitFor(30, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IllegalStateException(what + " did not finish in 30 min; see " + log);
    }
    if (p.exitValue() != 0) {
      throw new IllegalStateException(what + " exited with " + p.exitValue() + "; see " + log);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /**
   * Means over the steps after the warm-up. Tokens/s is theirs alone (their tokens over their
   * step time), not the metrics' sliding window, whose first steps include the warm-up's.
   */
  private Means means(Path metrics) throws IOException {
    long tokensBefore = warmup == 0 ? 0 : -1;
    long tokensAfter = 0;
    double step = 0;
    double compute = 0;
    double exchange = 0;
    double optimizer = 0;
    double collective = 0;
    List<Double> steps = new ArrayList<>();
    List<Double> exchanges = new ArrayList<>();
    List<Double> collectives = new ArrayList<>();
    List<Exposure> slowest = new ArrayList<>();
    int n = 0;
    for (String line : Files.readAllLines(metrics)) {
      JsonNode j = JSON.readTree(line);
      if (!j.has("tokens_per_s")) {
        continue; // an eval round's line
      }
      if (j.get("step").asLong() <= warmup) {
        tokensBefore = j.get("tokens").asLong();
        continue;
      }
      tokensAfter = j.get("tokens").asLong();
      step += j.get("step_s").asDouble();
      compute += j.get("compute_s").asDouble();
      exchange += j.get("exchange_s").asDouble();
      optimizer += j.get("optimizer_s").asDouble();
      collective += j.path("collective_s").asDouble();
      steps.add(j.get("step_s").asDouble());
      exchanges.add(j.get("exchange_s").asDouble());
      collectives.add(j.path("collective_s").asDouble());
      slowest.add(new Exposure(j.path("slowest_rank_exchange_s").asDouble(),
          j.path("slowest_rank_collective_s").asDouble()));
      n++;
    }
    if (n == 0 || tokensBefore < 0) {
      throw new IllegalStateException(metrics + " has no step after the warm-up of " + warmup);
    }
    return new Means((tokensAfter - tokensBefore) / step, step / n, compute / n, exchange / n,
        optimizer / n, collective / n, median(steps), median(exchanges), median(collectives),
        new Exposure(slowest.stream().mapToDouble(Exposure::exchange).sum() / n,
            slowest.stream().mapToDouble(Exposure::collective).sum() / n),
        new Exposure(median(slowest.stream().map(Exposure::exchange).toList()),
            median(slowest.stream().map(Exposure::collective).toList())));
  }

  private static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
