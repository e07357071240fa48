package org.olmo4j.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.checkpoint.CheckpointStore;
import org.olmo4j.cli.ClusterNode;

/**
 * A node that stops making progress, on three JVMs on 127.0.0.1: this node, the node that gets
 * stuck, and a spare node (cluster.max_workers = 2) that takes its place at the last checkpoint,
 * so the losses equal an uninterrupted run's bit for bit (same N). Two ways to get stuck:
 * <ul>
 *   <li>alive but stuck: its rank blocks at step {@value #STUCK_AT} before the step's first
 *       collective while its JVM and heartbeats go on; the watchdog names it and its node is
 *       downed. It wakes up later: its collective fails (the world was aborted), it writes
 *       nothing that is committed, and its node exits with one clear line.</li>
 *   <li>frozen (SIGSTOP): the failure detector finds it unreachable, the world re-forms without
 *       it, the split brain resolver downs it; after SIGCONT it learns it was removed and exits
 *       with the same line, having written nothing that is committed.</li>
 * </ul>
 */
class StuckRankTest {

  private static final int STEPS = 60;
  private static final int STUCK_AT = 25;
  /** Long enough to be removed first, short enough to wake up before its JVM exits. */
  private static final int STUCK_SECONDS = 20;
  private static final Duration WAIT = Duration.ofSeconds(180);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path tmp;
  static Path data;
  static List<Double> reference;

  @BeforeAll
  static void uninterruptedRun() throws Exception {
    data = ClusterRuns.writeTokens(tmp);
    reference = ClusterRuns.runInJvm(ClusterRuns.config(yaml(data, tmp.resolve("reference"), 2)));
  }

  @Test
  void theStuckRanksNodeIsRemovedAndTheRunGoesOnBitForBit() throws Exception {

    Path save = tmp.resolve("stuck");
    String yaml = yaml(data, save, 1);
    Path cfgFile = tmp.resolve("stuck.yaml");
    Files.writeString(cfgFile, yaml);
    ClusterNode.Handle first = ClusterNode.start(ClusterRuns.config(yaml), "127.0.0.1", 0, List.of());
    int port = Cluster.get(first.system()).selfMember().address().getPort().get();
    Path stuckLog = tmp.resolve("stuck-node.log");
    Process stuck = ClusterRuns.startCliJvm(stuckLog, List.of("node", cfgFile.toString(),
        "--seed-nodes=127.0.0.1:" + port, "--port=0"), Map.of(),
        List.of("-Dolmo4j.test.stuck_at_step=" + STUCK_AT,
            "-Dolmo4j.test.stuck_seconds=" + STUCK_SECONDS));
    Process spare = null;
    try {
      FileEvents.await(save, WAIT, "a world of this node and the stuck-to-be node",
          () -> world(save).get("world_size").asInt() == 2, first.exitCode());
      spare = ClusterRuns.startNodeJvm(cfgFile, port, tmp.resolve("spare-node.log"));
      first.system().getWhenTerminated().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertEquals(0, first.exitCode().getNow(-1), "exit code of the run");
      assertTrue(spare.waitFor(60, TimeUnit.SECONDS), "the spare node exits with the run");
      assertEquals(0, spare.exitValue());
      assertTrue(stuck.waitFor(90, TimeUnit.SECONDS), "the stuck node exits");
      assertNotEquals(0, stuck.exitValue(), "a removed node exits non-zero");
    } finally {
      stuck.destroyForcibly();
      if (spare != null) {
        spare.destroyForcibly();
      }
      first.system().terminate();
    }
    String log = Files.readString(stuckLog);
    assertTrue(log.contains("this node was removed from the cluster"), log);
    assertTrue(log.contains("wakes up at step " + STUCK_AT), "the stuck rank woke up: " + log);

    JsonNode world = world(save);
    String reason = world.get("recovery").get("reason").asText();
    assertTrue(reason.contains("rank 1 was stuck at step " + STUCK_AT), reason);
    long blockedMs = blockedAt(log);
    long start = world.get("start_step").asLong();
    double recovered = stepTime(save, start + 1) - blockedMs / 1000.0;
    System.out.printf("stuck rank: blocked at step %d, detected %.1f s later, next completed step "
        + "%.1f s after the block (world re-formed at step %d)%n", STUCK_AT,
        world.get("recovery").get("detected_epoch_ms").asLong() / 1000.0 - blockedMs / 1000.0,
        recovered, start);
    assertTrue(recovered < 60, "recovered " + recovered + " s after the block");

    assertTheRunMatchesTheReference(save);
  }

  @Test
  void aFrozenNodeIsRemovedAndAfterSigcontExitsHavingWrittenNothingCommitted() throws Exception {
    Path save = tmp.resolve("sigstop");
    String yaml = yaml(data, save, 1);
    Path cfgFile = tmp.resolve("sigstop.yaml");
    Files.writeString(cfgFile, yaml);
    ClusterNode.Handle first = ClusterNode.start(ClusterRuns.config(yaml), "127.0.0.1", 0, List.of());
    int port = Cluster.get(first.system()).selfMember().address().getPort().get();
    Path frozenLog = tmp.resolve("frozen-node.log");
    Process frozen = ClusterRuns.startNodeJvm(cfgFile, port, frozenLog);
    Process spare = null;
    try {
      FileEvents.await(save, WAIT, "a world of this node and the node to freeze",
          () -> world(save).get("world_size").asInt() == 2, first.exitCode());
      FileEvents.await(save, WAIT, "step " + STUCK_AT, () -> lastStep(save) >= STUCK_AT,
          first.exitCode());
      CompletableFuture<String> unreachable = ClusterRuns.lossSeen(first.system());
      CompletableFuture<String> removed = ClusterRuns.removalSeen(first.system());
      signal("STOP", frozen);
      long stoppedMs = System.currentTimeMillis();
      // The spare comes only once the split brain resolver has removed the frozen node: the run
      // (min_workers 2) waits meanwhile, so the node is woken after its removal, as a long run's.
      unreachable.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      long unreachableMs = System.currentTimeMillis();
      removed.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      long removedMs = System.currentTimeMillis();
      spare = ClusterRuns.startNodeJvm(cfgFile, port, tmp.resolve("spare2-node.log"));
      FileEvents.await(save, WAIT, "a step of the world without the frozen node",
          () -> world(save).get("generation").asLong() > 1
              && lastStep(save) > world(save).get("start_step").asLong(), first.exitCode());
      JsonNode world = world(save);
      assertTrue(world.get("recovery").get("reason").asText().contains("unreachable"),
          world.toString());
      signal("CONT", frozen);
      long contMs = System.currentTimeMillis();
      assertTrue(frozen.waitFor(90, TimeUnit.SECONDS), "the frozen node exits after SIGCONT");
      System.out.printf("SIGSTOP: unreachable after %.1f s, removed by the split brain resolver "
          + "after %.1f s; after SIGCONT the node exited in %.1f s (world re-formed at step %d "
          + "with a spare)%n", (unreachableMs - stoppedMs) / 1e3, (removedMs - stoppedMs) / 1e3,
          (System.currentTimeMillis() - contMs) / 1e3, world.get("start_step").asLong());
      first.system().getWhenTerminated().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertEquals(0, first.exitCode().getNow(-1), "exit code of the run");
      assertTrue(spare.waitFor(60, TimeUnit.SECONDS), "the spare node exits with the run");
    } finally {
      signal("CONT", frozen);
      frozen.destroyForcibly();
      if (spare != null) {
        spare.destroyForcibly();
      }
      first.system().terminate();
    }
    String log = Files.readString(frozenLog);
    System.out.println("SIGSTOP: the woken node exited " + frozen.exitValue() + "; its log:\n"
        + String.join("\n", log.lines().filter(l -> l.contains("WARN") || l.contains("ERROR")
            || l.contains("stopping node") || l.contains("removed")).toList()));
    assertNotEquals(0, frozen.exitValue(), "a removed node exits non-zero");
    assertTrue(log.contains("this node was removed from the cluster"), log);
    assertTrue(log.lines().filter(l -> l.contains("this node was removed")).count() == 1, log);
    assertTheRunMatchesTheReference(save);
  }

  /** Every step once, each loss equal to the uninterrupted run's; every checkpoint verifies. */
  private static void assertTheRunMatchesTheReference(Path save) throws Exception {
    List<Double> losses = ClusterRuns.losses(save);
    assertEquals(STEPS, losses.size(), "every step once in metrics.jsonl after the rollback");
    for (int i = 0; i < STEPS; i++) {
      assertEquals(Double.doubleToLongBits(reference.get(i)), Double.doubleToLongBits(losses.get(i)),
          "step " + (i + 1) + ": " + reference.get(i) + " vs " + losses.get(i));
    }
    CheckpointStore store = new CheckpointStore(save);
    for (long step : store.committedSteps()) {
      CheckpointStore.verify(store.stepDir(step));
    }
  }

  private static void signal(String signal, Process p) throws Exception {
    if (p.isAlive()) {
      new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start().waitFor();
    }
  }

  private static long lastStep(Path save) throws Exception {
    List<String> lines = Files.readAllLines(save.resolve("metrics.jsonl"));
    long last = -1;
    for (String line : lines) {
      JsonNode n = JSON.readTree(line);
      if (n.has("loss")) {
        last = n.get("step").asLong();
      }
    }
    return last;
  }

  /** 60 steps saving every 10; two workers train, one more node may wait as a spare. */
  private static String yaml(Path data, Path save, int workersPerNode) {
    return ClusterRuns.yaml(data, save, workersPerNode, 2, STEPS, 10)
        .replace("min_workers: 2,", "min_workers: 2, max_workers: 2,");
  }

  private static JsonNode world(Path save) throws Exception {
    return JSON.readTree(save.resolve("world.json").toFile());
  }

  private static long blockedAt(String log) {
    Matcher m = Pattern.compile("blocks at step \\d+ for \\d+ s \\(at epoch ms (\\d+)\\)").matcher(log);
    assertTrue(m.find(), "the stuck node logged its block: " + log);
    return Long.parseLong(m.group(1));
  }

  private static double stepTime(Path save, long step) throws Exception {
    for (String line : Files.readAllLines(save.resolve("metrics.jsonl"))) {
      JsonNode n = JSON.readTree(line);
      if (n.has("loss") && n.get("step").asLong() == step) {
        return n.get("time").asDouble();
      }
    }
    throw new AssertionError("no metrics line for step " + step);
  }
}
