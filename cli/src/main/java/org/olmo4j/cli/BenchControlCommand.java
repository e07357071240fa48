package org.olmo4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.stream.javadsl.Sink;
import org.olmo4j.checkpoint.DurableFiles;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.control.ControlConnection;
import org.olmo4j.cli.ClusterNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code olmo4j bench control CONFIG}: training throughput with and without operators watching —
 * {@code --watchers} WatchMetrics streams and {@code --calls} GetStatus calls during a window of
 * steps — against the same run's quiet windows before and after.
 */
@Command(name = "control", mixinStandardHelpOptions = true,
    description = "tokens/s of a run with N WatchMetrics subscribers and M GetStatus calls vs quiet windows.")
final class BenchControlCommand implements Callable<Integer> {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Mixin RunConfig run;

  @Option(names = "--window", defaultValue = "40", description = "steps per measured window (default ${DEFAULT-VALUE})")
  int window;

  @Option(names = "--watchers", defaultValue = "50", description = "WatchMetrics subscribers (default ${DEFAULT-VALUE})")
  int watchers;

  @Option(names = "--calls", defaultValue = "1000", description = "GetStatus calls in the loaded window (default ${DEFAULT-VALUE})")
  int calls;

  @Override
  public Integer call() throws Exception {
    Path tmp = Files.createTempDirectory("olmo4j-bench-control");
    TrainConfig cfg = run.load("--save_folder=" + tmp.resolve("run"), "--max_duration=1000000",
        "--save_interval=1000000", "--cluster.workers_per_node=1", "--cluster.min_workers=1",
        "--try_load_latest_save=false", "--load_path=null", "--control.port=0",
        "--control.token_file=null", "--control.token_env=null");
    Path save = Path.of(cfg.saveFolder());
    ClusterNode.Handle node = ClusterNode.start(cfg, "127.0.0.1", 0, List.of());
    try {
      waitForSteps(save, 10); // warm-up: allocator, JIT
      var endpoint = org.olmo4j.control.ControlEndpoint.of(save);
      String token = Files.readString(save.resolve("control.token"), StandardCharsets.UTF_8).strip();
      try (ControlConnection ctl = new ControlConnection(endpoint.host(), endpoint.port(), token, false)) {
        double before = measure(save);
        AtomicLong events = new AtomicLong();
        List<CompletableFuture<?>> streams = new ArrayList<>();
        for (int i = 0; i < watchers; i++) {
          streams.add(ctl.watch().runWith(Sink.foreach(e -> events.incrementAndGet()), ctl.system())
              .toCompletableFuture());
        }
        long first = lastStep(save);
        ExecutorService callers = Executors.newFixedThreadPool(4);
        List<CompletableFuture<Void>> done = new ArrayList<>();
        long t0 = System.nanoTime();
        // Spread the calls over the window: one burst of calls/window per step, on 4 threads.
        for (int i = 0; i < calls; i++) {
          done.add(CompletableFuture.runAsync(ctl::status, callers));
          if ((i + 1) % Math.max(1, calls / window) == 0) {
            waitForSteps(save, lastStep(save) + 1);
          }
        }
        CompletableFuture.allOf(done.toArray(new CompletableFuture<?>[0])).get(10, TimeUnit.MINUTES);
        double callSeconds = (System.nanoTime() - t0) / 1e9;
        double loaded = tokensPerSecond(save, first, lastStep(save));
        callers.shutdown();
        streams.forEach(f -> f.cancel(true));
        double after = measure(save);
        double quiet = (before + after) / 2;
        System.out.printf("quiet: %.1f tokens/s before, %.1f after (mean %.1f)%n", before, after, quiet);
        System.out.printf("with %d WatchMetrics subscribers (%d events delivered) and %d GetStatus calls "
            + "over %.1f s: %.1f tokens/s%n", watchers, events.get(), calls, callSeconds, loaded);
        System.out.printf("cost: %.2f%% of tokens/s (target <= 5%%)%n", 100 * (1 - loaded / quiet));
        ctl.stop();
      }
      node.system().getWhenTerminated().toCompletableFuture().get(2, TimeUnit.MINUTES);
    } finally {
      node.system().terminate();
      node.awaitExit();
      DurableFiles.deleteRecursively(tmp); // the run's folder, its metrics and checkpoints
    }
    return 0;
  }

  /** tokens/s over the next {@code window} steps. */
  private double measure(Path save) throws Exception {
    long from = lastStep(save);
    waitForSteps(save, from + window);
    return tokensPerSecond(save, from, from + window);
  }

  private static double tokensPerSecond(Path save, long fromStep, long toStep) throws Exception {
    double t0 = Double.NaN;
    double t1 = Double.NaN;
    long tokens0 = 0;
    long tokens1 = 0;
    for (String line : Files.readAllLines(save.resolve("metrics.jsonl"))) {
      JsonNode n = JSON.readTree(line);
      if (!n.has("loss")) {
        continue;
      }
      long step = n.get("step").asLong();
      if (step == fromStep) {
        t0 = n.get("time").asDouble();
        tokens0 = n.get("tokens").asLong();
      } else if (step == toStep) {
        t1 = n.get("time").asDouble();
        tokens1 = n.get("tokens").asLong();
      }
    }
    return (tokens1 - tokens0) / (t1 - t0);
  }

  private static void waitForSteps(Path save, long step) throws Exception {
    while (lastStep(save) < step) {
      Thread.sleep(20);
    }
  }

  private static long lastStep(Path save) throws Exception {
    Path m = save.resolve("metrics.jsonl");
    if (!Files.exists(m)) {
      return 0;
    }
    List<String> lines = Files.readAllLines(m);
    for (int i = lines.size() - 1; i >= 0; i--) {
      try {
        JsonNode n = JSON.readTree(lines.get(i));
        if (n.has("loss")) {
          return n.get("step").asLong();
        }
      } catch (Exception e) {
        // a line being written
      }
    }
    return 0;
  }
}
