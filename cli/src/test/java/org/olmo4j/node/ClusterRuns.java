package org.olmo4j.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Duration;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.olmo4j.cli.ClusterNode;
import org.olmo4j.config.ConfigLoader;
import org.olmo4j.config.TrainConfig;

/** Real multi-worker runs of a tiny OLMo on real files, for the cluster tests. */
public final class ClusterRuns {

  private ClusterRuns() {}

  /** A uint16 memmap file of learnable "next = previous + 1" runs with noise, vocab < 64. */
  public static Path writeTokens(Path dir) throws IOException {
    SplittableRandom rnd = new SplittableRandom(9);
    ByteBuffer buf = ByteBuffer.allocate(30_000 * 2).order(ByteOrder.LITTLE_ENDIAN);
    int t = 0;
    for (int i = 0; i < 30_000; i++) {
      t = rnd.nextInt(6) == 0 ? rnd.nextInt(60) : (t + 1) % 60;
      buf.putShort((short) t);
    }
    Path data = dir.resolve("tokens.npy");
    Files.write(data, buf.array());
    return data;
  }

  /**
   * The YAML of a 20-step run in fp32; {@code extra} lines are appended (top-level keys; a
   * {@code precision:} or {@code control:} line replaces the default).
   */
  public static String yaml(Path data, Path saveFolder, int workersPerNode, int minWorkers, String... extra) {
    return yaml(data, saveFolder, workersPerNode, minWorkers, 20, 10, extra);
  }

  /** The YAML of a run of {@code steps} steps saving every {@code saveInterval}. */
  public static String yaml(Path data, Path saveFolder, int workersPerNode, int minWorkers, int steps,
      int saveInterval, String... extra) {
    List<String> lines = new ArrayList<>(List.of(
        "run_name: cluster-test",
        "max_duration: " + steps,
        "global_train_batch_size: 8",
        "device_train_microbatch_size: 2",
        "save_folder: " + saveFolder,
        "save_interval: " + saveInterval,
        "save_num_checkpoints_to_keep: -1",
        "model: {d_model: 32, n_heads: 2, n_layers: 2, mlp_ratio: 4, vocab_size: 64,",
        "  embedding_size: 64, max_sequence_length: 16, eos_token_id: 63, pad_token_id: 62,",
        "  init_fn: mitchell}",
        "optimizer: {learning_rate: 0.01}",
        "scheduler: {name: cosine_with_warmup, t_warmup: 5}",
        "data: {paths: [" + data + "]}",
        "cluster: {workers_per_node: " + workersPerNode + ", min_workers: " + minWorkers
            + ", exchange_timeout_seconds: 30}"));
    lines.addAll(List.of(extra));
    if (lines.stream().noneMatch(l -> l.startsWith("precision:"))) {
      lines.add("precision: fp32");
    }
    if (lines.stream().noneMatch(l -> l.startsWith("control:"))) {
      lines.add("control: {port: 0}"); // a free port: runs side by side never collide
    }
    return String.join("\n", lines) + "\n";
  }

  /** Step by step, {@code actual}'s losses within {@code tolerance} (relative) of {@code expected}'s. */
  public static void assertClose(List<Double> expected, List<Double> actual, String what,
      double tolerance) {
    assertEquals(expected.size(), actual.size(), what + ": number of steps");
    for (int i = 0; i < expected.size(); i++) {
      double rel = Math.abs(expected.get(i) - actual.get(i)) / Math.abs(expected.get(i));
      assertTrue(rel < tolerance, what + " step " + (i + 1)
          + ": " + expected.get(i) + " vs " + actual.get(i) + " (relative " + rel + ")");
    }
  }

  public static TrainConfig config(String yaml) {
    return ConfigLoader.fromYaml(yaml, List.of());
  }

  /** Runs a one-node cluster in this JVM to the end; returns the per-step losses. */
  public static List<Double> runInJvm(TrainConfig cfg) throws IOException {
    ClusterNode.Handle h = ClusterNode.start(cfg, "127.0.0.1", 0, List.of());
    try {
      h.system().getWhenTerminated().toCompletableFuture().get(180, TimeUnit.SECONDS);
    } catch (Exception e) {
      h.system().terminate();
      throw new AssertionError("cluster did not finish in time", e);
    }
    assertEquals(0, h.exitCode().getNow(-1), "exit code of the run");
    return losses(Path.of(cfg.saveFolder()));
  }

  public static List<Double> losses(Path saveFolder) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<Double> out = new ArrayList<>();
    for (String line : Files.readAllLines(saveFolder.resolve("metrics.jsonl"))) {
      JsonNode n = json.readTree(line);
      if (n.has("loss")) { // eval rounds have lines of their own
        out.add(n.get("loss").asDouble());
      }
    }
    return out;
  }

  /**
   * Completes with the address of the first member {@code system}'s cluster sees unreachable or
   * removed after this call (call it before the kill).
   */
  public static CompletableFuture<String> lossSeen(ActorSystem<?> system) {
    return memberEvent(system, true);
  }

  /**
   * Completes with the address of the first member {@code system}'s cluster removes after this
   * call (downed by the split brain resolver or the coordinator, or left).
   */
  public static CompletableFuture<String> removalSeen(ActorSystem<?> system) {
    return memberEvent(system, false);
  }

  private static CompletableFuture<String> memberEvent(ActorSystem<?> system, boolean unreachable) {
    CompletableFuture<String> seen = new CompletableFuture<>();
    ActorRef<ClusterEvent.ClusterDomainEvent> watcher = system.systemActorOf(
        Behaviors.receive(ClusterEvent.ClusterDomainEvent.class)
            .onMessage(ClusterEvent.UnreachableMember.class, e -> {
              seen.complete(e.member().address().toString());
              return Behaviors.stopped();
            })
            .onMessage(ClusterEvent.MemberRemoved.class, e -> {
              seen.complete(e.member().address().toString());
              return Behaviors.stopped();
            })
            .build(), "loss-watch-" + UUID.randomUUID(), Props.empty());
    if (unreachable) {
      Cluster.get(system).subscriptions().tell(Subscribe.create(
          watcher.<ClusterEvent.UnreachableMember>narrow(), ClusterEvent.UnreachableMember.class));
    }
    Cluster.get(system).subscriptions().tell(Subscribe.create(
        watcher.<ClusterEvent.MemberRemoved>narrow(), ClusterEvent.MemberRemoved.class));
    return seen;
  }

  /**
   * Runs {@code yaml} to the end on two nodes, this JVM (the coordinator's) and a child JVM
   * (its log {@code dir/NAME-node.log}); both must exit 0. Returns the per-step losses.
   */
  public static List<Double> runOnTwoJvms(Path dir, String name, String yaml, Duration wait)
      throws Exception {
    Path cfgFile = dir.resolve(name + ".yaml");
    Files.writeString(cfgFile, yaml);
    TrainConfig cfg = config(yaml);
    ClusterNode.Handle first = ClusterNode.start(cfg, "127.0.0.1", 0, List.of());
    int port = Cluster.get(first.system()).selfMember().address().getPort().get();
    Path log = dir.resolve(name + "-node.log");
    Process second = startNodeJvm(cfgFile, port, log);
    try {
      first.system().getWhenTerminated().toCompletableFuture().get(wait.toSeconds(), TimeUnit.SECONDS);
      assertTrue(second.waitFor(60, TimeUnit.SECONDS), "second JVM exits");
      assertEquals(0, first.exitCode().getNow(-1));
      assertEquals(0, second.exitValue(), Files.readString(log));
    } finally {
      second.destroyForcibly();
      first.system().terminate();
    }
    return losses(Path.of(cfg.saveFolder()));
  }

  /** Starts {@code olmo4j node} in a child JVM. */
  public static Process startNodeJvm(Path config, int seedPort, Path log, String... overrides) throws IOException {
    List<String> args = new ArrayList<>(List.of("node", config.toString(),
        "--seed-nodes=127.0.0.1:" + seedPort, "--port=0"));
    args.addAll(List.of(overrides));
    return startCliJvm(log, args);
  }

  /** Runs {@code olmo4j ARGS…} in a child JVM, output to {@code log}. */
  public static Process startCliJvm(Path log, List<String> args) throws IOException {
    return startCliJvm(log, args, java.util.Map.of());
  }

  /** As {@link #startCliJvm(Path, List)} with extra environment variables. */
  public static Process startCliJvm(Path log, List<String> args, java.util.Map<String, String> env)
      throws IOException {
    return startCliJvm(log, args, env, List.of());
  }

  /** As {@link #startCliJvm(Path, List, java.util.Map)} with extra JVM options ({@code -D…}). */
  public static Process startCliJvm(Path log, List<String> args, java.util.Map<String, String> env,
      List<String> jvmOptions) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        "-Xmx1g", "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1",
        "-Dai.djl.pytorch.num_interop_threads=1"));
    cmd.addAll(jvmOptions);
    cmd.add("org.olmo4j.cli.Main");
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().putAll(env);
    return pb.start();
  }
}
