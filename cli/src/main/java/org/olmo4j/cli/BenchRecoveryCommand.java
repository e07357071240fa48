package org.olmo4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.cluster.typed.Cluster;
import org.olmo4j.config.ConfigLoader;
import org.olmo4j.checkpoint.DurableFiles;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.cli.ClusterNode;
import org.olmo4j.train.ChildJvm;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code olmo4j bench recovery CONFIG}: a run on two JVMs (this one and a child node); the child
 * is killed with kill -9 (or, with {@code --stuck}, its rank blocks before a step's collective
 * while its JVM stays alive: the test hook {@code olmo4j.test.stuck_at_step}) and the time to the
 * first completed step after it is split into detection, re-forming, loading and the first step.
 */
@Command(name = "recovery", mixinStandardHelpOptions = true,
    description = "Kill -9 one of two nodes mid-run (or --stuck: block its rank); print detection / "
        + "re-forming / loading / first step.")
final class BenchRecoveryCommand implements Callable<Integer> {

  private static final ObjectMapper JSON = new ObjectMapper();
  /** The test hook's line in the child's log. */
  private static final Pattern BLOCKED = Pattern.compile("blocks at step \\d+ .*epoch ms (\\d+)");

  @Mixin RunConfig run;

  @Option(names = "--save-interval", defaultValue = "5", description = "Checkpoint every N steps (default ${DEFAULT-VALUE})")
  int saveInterval;

  @Option(names = "--stuck", description = "Block the child's rank before a step's collective "
      + "(alive but stuck) instead of killing it")
  boolean stuck;

  @Override
  public Integer call() throws Exception {
    Path tmp = Files.createTempDirectory("olmo4j-bench-recovery");
    TrainConfig cfg = run.load("--save_folder=" + tmp.resolve("run"), "--save_interval=" + saveInterval,
        "--max_duration=100000", "--cluster.workers_per_node=1", "--cluster.min_workers=1",
        "--try_load_latest_save=false", "--load_path=null");
    Path cfgFile = tmp.resolve("config.yaml");
    Files.writeString(cfgFile, ConfigLoader.toYaml(cfg));
    Path save = Path.of(cfg.saveFolder());
    ClusterNode.Handle first = ClusterNode.start(cfg, "127.0.0.1", 0, List.of());
    Process child = null;
    try {
      int port = Cluster.get(first.system()).selfMember().address().getPort().get();
      // Stuck after the child has joined the world (at the first checkpoint) and a checkpoint of
      // the world of two is committed; for an hour.
      long stuckAt = 3L * saveInterval + 2;
      List<String> jvm = new ArrayList<>(List.of("-Dai.djl.offline=true",
          "-Dai.djl.pytorch.num_threads=1"));
      if (stuck) {
        jvm.add("-Dolmo4j.test.stuck_at_step=" + stuckAt);
      }
      Path childLog = tmp.resolve("child.log");
      child = new ProcessBuilder(ChildJvm.command(jvm, "org.olmo4j.cli.Main",
          List.of("node", cfgFile.toString(), "--seed-nodes=127.0.0.1:" + port, "--port=0")))
          .redirectErrorStream(true).redirectOutput(childLog.toFile()).start();
      System.out.println("waiting for a world of 2 workers and a committed checkpoint…");
      while (!(worldSize(save) == 2 && Files.exists(save.resolve("latest"))
          && lastStep(save) > worldStart(save) + 1)) {
        Thread.sleep(50);
      }
      long killMs;
      long stepAtKill;
      if (stuck) {
        while ((killMs = blockedAt(childLog)) < 0) {
          Thread.sleep(50);
        }
        stepAtKill = stuckAt - 1;
        System.out.println("the child's rank blocked at step " + stuckAt);
      } else {
        killMs = System.currentTimeMillis();
        stepAtKill = lastStep(save);
        child.destroyForcibly().waitFor();
        System.out.println("killed the child node at step " + stepAtKill);
      }
      JsonNode world;
      while (true) {
        world = world(save);
        if (world != null && world.has("recovery") && world.get("world_size").asInt() == 1) {
          break;
        }
        Thread.sleep(20);
      }
      long start = world.get("start_step").asLong();
      double firstStepTime;
      while ((firstStepTime = stepTime(save, start + 1)) < 0) {
        Thread.sleep(20);
      }
      double detected = world.get("recovery").get("detected_epoch_ms").asLong() / 1000.0;
      double reformed = world.get("recovery").get("reformed_epoch_ms").asLong() / 1000.0;
      double ready = world.get("ready_epoch_ms").asLong() / 1000.0;
      double kill = killMs / 1000.0;
      System.out.printf("recovery of %s (%s), checkpoint every %d steps, rolled back from step %d to %d%n",
          cfg.runName(), world.get("recovery").get("reason").asText(), saveInterval, stepAtKill, start);
      System.out.printf("detection      %6.2f s  (%s → the coordinator learns of it)%n",
          detected - kill, stuck ? "the block" : "kill -9");
      System.out.printf("re-forming     %6.2f s  (settle for the failure detector, new world assigned)%n", reformed - detected);
      System.out.printf("loading        %6.2f s  (model built, shard read from the checkpoint, data plane joined)%n", ready - reformed);
      System.out.printf("first step     %6.2f s%n", firstStepTime - ready);
      System.out.printf("total          %6.2f s  (target ≤ %d s)%n", firstStepTime - kill,
          stuck ? 20 : 15);
    } finally {
      if (child != null) {
        child.destroyForcibly().waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
      }
      first.system().terminate();
      first.awaitExit();
      DurableFiles.deleteRecursively(tmp); // the run's folder and the child's log
    }
    return 0;
  }

  /** When the child's rank blocked (epoch ms, from its log), or -1 before. */
  private static long blockedAt(Path childLog) throws Exception {
    Matcher m = BLOCKED.matcher(Files.exists(childLog) ? Files.readString(childLog) : "");
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  private static JsonNode world(Path save) {
    try {
      return JSON.readTree(save.resolve("world.json").toFile());
    } catch (Exception e) {
      return null;
    }
  }

  private static int worldSize(Path save) {
    JsonNode w = world(save);
    return w == null ? 0 : w.get("world_size").asInt();
  }

  private static long worldStart(Path save) {
    JsonNode w = world(save);
    return w == null ? Long.MAX_VALUE : w.get("start_step").asLong();
  }

  private static long lastStep(Path save) throws Exception {
    Path m = save.resolve("metrics.jsonl");
    if (!Files.exists(m)) {
      return -1;
    }
    List<String> lines = Files.readAllLines(m);
    return lines.isEmpty() ? -1 : JSON.readTree(lines.get(lines.size() - 1)).get("step").asLong();
  }

  /** When the metrics line of {@code step} was written, or -1 if it is not there yet. */
  private static double stepTime(Path save, long step) throws Exception {
    for (String line : Files.readAllLines(save.resolve("metrics.jsonl"))) {
      JsonNode n = JSON.readTree(line);
      if (n.get("step").asLong() == step) {
        return n.get("time").asDouble();
      }
    }
    return -1;
  }
}
