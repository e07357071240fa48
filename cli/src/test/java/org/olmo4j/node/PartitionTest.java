package org.olmo4j.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.checkpoint.CheckpointStore;
import org.olmo4j.checkpoint.Manifest;

/**
 * Two nodes in two JVMs, each behind a {@link FaultProxy} that carries everything the other
 * node sends it (cluster and data plane). Node a starts the cluster, so it is the oldest member
 * and the Split Brain Resolver (keep-oldest) keeps its side: it hosts the coordinator and trains
 * on; node b, cut off, downs itself, stops its workers and exits with
 * {@link NodeGuardian#EXIT_DOWNED}.
 */
class PartitionTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir(cleanup = CleanupMode.ON_SUCCESS) static Path tmp; // node logs stay after a failure
  static Path data;

  @BeforeAll
  static void data() throws Exception {
    data = ClusterRuns.writeTokens(tmp);
  }

  /** A long run (stopped by the test) saving every 5 steps, going on with one worker. */
  private static Path config(String name, Path save) throws IOException {
    Path cfg = tmp.resolve(name + ".yaml");
    Files.writeString(cfg, ClusterRuns.yaml(data, save, 1, 1, 5000, 5, "control: {port: 0}"));
    return cfg;
  }

  @Test
  void aCutKeepsTheOldestSideTrainingDownsTheOtherAndAfterTheHealItRejoins() throws Exception {
    Path save = tmp.resolve("cut");
    Path cfg = config("cut", save);
    List<ProxiedNode> nodes = ProxiedNode.create(tmp, "cut-a", "cut-b");
    ProxiedNode a = nodes.get(0);
    ProxiedNode b = nodes.get(1);
    Map<Long, Integer> sizes = new HashMap<>();
    try {
      CompletableFuture<Process> aEnded = a.start(cfg, a).onExit();
      b.start(cfg, a);
      awaitSteps(save, 2, 10, -1, aEnded);
      long before = generation(save);
      sizes.put(before, 2);

      long cutMs = System.currentTimeMillis();
      a.proxy.cut();
      b.proxy.cut();
      awaitSteps(save, 1, 3, before, aEnded);
      JsonNode world = world(save);
      long alone = world.get("generation").asLong();
      sizes.put(alone, 1);
      long stepMs = stepMillis(save, world.get("start_step").asLong() + 1);
      assertTrue(b.process().waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), "the cut-off node exits");
      long bExitMs = System.currentTimeMillis();
      assertEquals(NodeGuardian.EXIT_DOWNED, b.process().exitValue(), Files.readString(b.log(1)));
      assertTrue(Files.readString(b.log(1)).contains("this node was removed from the cluster"),
          Files.readString(b.log(1)));
      System.out.printf("partition: cut -> detected %d ms (%s), -> next step done %d ms "
              + "(world of 1 from step %d), -> cut-off node exited %d ms%n",
          world.path("recovery").path("detected_epoch_ms").asLong() - cutMs,
          world.path("recovery").path("reason").asText(), stepMs - cutMs,
          world.get("start_step").asLong(), bExitMs - cutMs);

      a.proxy.heal();
      b.proxy.heal();
      long healMs = System.currentTimeMillis();
      b.start(cfg, a); // a fresh process on the same ports
      awaitSteps(save, 2, 3, alone, aEnded);
      sizes.put(generation(save), 2);
      System.out.printf("partition: heal -> back in a world of 2 with a step done %d ms%n",
          stepMillis(save, world(save).get("start_step").asLong() + 1) - healMs);
      killRun(a, b);
    } finally {
      nodes.forEach(ProxiedNode::close);
    }
    assertCommittedCheckpointsVerify(save, sizes);
  }

  @Test
  void halfOpenEndsWithTheYoungerNodeRemovedAndTrainingGoingOnBeforeTheExchangeTimeout()
      throws Exception {
    Path save = tmp.resolve("half-open");
    Path cfg = config("half-open", save);
    List<ProxiedNode> nodes = ProxiedNode.create(tmp, "half-a", "half-b");
    ProxiedNode a = nodes.get(0);
    ProxiedNode b = nodes.get(1);
    // A collective that waits this long on its peer fails on its own; recovery must not wait for it.
    String timeout = "--cluster.exchange_timeout_seconds=120";
    Map<Long, Integer> sizes = new HashMap<>();
    try {
      CompletableFuture<Process> aEnded = a.start(cfg, a, timeout).onExit();
      b.start(cfg, a, timeout);
      awaitSteps(save, 2, 10, -1, aEnded);
      long before = generation(save);
      sizes.put(before, 2);

      long cutMs = System.currentTimeMillis();
      b.proxy.dropToTarget(); // what a sends b is lost; b's messages still reach a
      awaitSteps(save, 1, 3, before, aEnded);
      JsonNode world = world(save);
      sizes.put(world.get("generation").asLong(), 1);
      long stepMs = stepMillis(save, world.get("start_step").asLong() + 1);
      System.out.printf("half-open: cut -> detected %d ms (%s), -> next step done %d ms%n",
          world.path("recovery").path("detected_epoch_ms").asLong() - cutMs,
          world.path("recovery").path("reason").asText(), stepMs - cutMs);
      assertTrue(b.process().waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), "the cut-off node exits");
      System.out.printf("half-open: cut -> cut-off node exited %d ms%n",
          System.currentTimeMillis() - cutMs);
      assertEquals(NodeGuardian.EXIT_DOWNED, b.process().exitValue(), Files.readString(b.log(1)));
      assertTrue(Files.readString(b.log(1)).contains("this node was removed from the cluster"),
          Files.readString(b.log(1)));
      b.proxy.heal();
      killRun(a);
    } finally {
      nodes.forEach(ProxiedNode::close);
    }
    assertCommittedCheckpointsVerify(save, sizes);
  }

  @Test
  void twoHundredMillisecondsOfLatencyEachWaySlowTheRunWithoutRemovingANode() throws Exception {
    Path save = tmp.resolve("latency");
    Path cfg = config("latency", save);
    List<ProxiedNode> nodes = ProxiedNode.create(tmp, "slow-a", "slow-b");
    ProxiedNode a = nodes.get(0);
    ProxiedNode b = nodes.get(1);
    Map<Long, Integer> sizes = new HashMap<>();
    try {
      CompletableFuture<Process> aEnded = a.start(cfg, a).onExit();
      CompletableFuture<Process> bEnded = b.start(cfg, a).onExit();
      awaitSteps(save, 2, 5, -1, aEnded, bEnded);
      long generation = generation(save);
      sizes.put(generation, 2);
      long stepsBefore = lines(save);
      long t0 = System.currentTimeMillis();
      a.proxy.delay(Duration.ofMillis(200));
      b.proxy.delay(Duration.ofMillis(200));
      long target = stepsBefore + 15;
      FileEvents.await(save, Duration.ofSeconds(75), "15 more steps under latency",
          () -> lines(save) >= target || generation(save) != generation, aEnded, bEnded);
      long slowMs = System.currentTimeMillis() - t0;
      assertEquals(generation, generation(save), "no node removed, no world re-formed: "
          + world(save));
      assertEquals(2, world(save).get("world_size").asInt());
      assertTrue(lines(save) >= target, "steps went on under latency");
      System.out.printf("latency 200 ms each way: 15 steps in %d ms, world generation %d kept%n",
          slowMs, generation);
      a.proxy.heal();
      b.proxy.heal();
      killRun(a, b);
    } finally {
      nodes.forEach(ProxiedNode::close);
    }
    assertCommittedCheckpointsVerify(save, sizes);
  }

  /**
   * Waits until the world has {@code size} ranks, a generation newer than {@code after}, and
   * {@code steps} steps done in it.
   */
  private static void awaitSteps(Path save, int size, int steps, long after,
      CompletableFuture<?>... stops) throws Exception {
    String what = steps + " steps in a world of " + size + " newer than generation " + after;
    FileEvents.await(save, WAIT, what, () -> {
      JsonNode w = world(save);
      return w.get("world_size").asInt() == size && w.get("generation").asLong() > after
          && lines(save) >= w.get("start_step").asLong() + steps;
    }, stops);
    JsonNode w = world(save);
    assertTrue(w.get("world_size").asInt() == size && w.get("generation").asLong() > after
        && lines(save) >= w.get("start_step").asLong() + steps, "expected " + what + ", got " + w);
  }

  /** Ends the run as a crash would (kill -9 on both nodes): what is on disk must still verify. */
  private static void killRun(ProxiedNode... nodes) throws InterruptedException {
    for (ProxiedNode n : nodes) {
      n.process().destroyForcibly().waitFor();
    }
  }

  /**
   * Every committed stepN verifies (checksums, manifest), each was written by the world of its
   * generation ({@code sizes}: generation → world size, where known: a shard of a cut-off side
   * never makes it into a commit of the other side's world), and latest names one of them.
   */
  private static void assertCommittedCheckpointsVerify(Path save, Map<Long, Integer> sizes)
      throws IOException {
    int committed = 0;
    try (Stream<Path> dirs = Files.list(save)) {
      for (Path d : (Iterable<Path>) dirs::iterator) {
        String n = d.getFileName().toString();
        if (Files.isDirectory(d) && n.matches("step[0-9]+")) {
          CheckpointStore.verify(d);
          Manifest m = CheckpointStore.readManifest(d);
          Integer size = sizes.get(m.generation());
          assertTrue(size == null || size == m.worldSize(), n + " of generation " + m.generation()
              + " has " + m.worldSize() + " shards; that world had " + size + " ranks");
          committed++;
        }
      }
    }
    assertTrue(committed > 0, "some checkpoint was committed");
    String latest = Files.readString(save.resolve(CheckpointStore.LATEST)).trim();
    assertTrue(latest.matches("step[0-9]+") && Files.isDirectory(save.resolve(latest)),
        "latest names a committed step: " + latest);
  }

  private static JsonNode world(Path save) throws IOException {
    return JSON.readTree(save.resolve("world.json").toFile());
  }

  private static long generation(Path save) throws IOException {
    return world(save).get("generation").asLong();
  }

  private static long lines(Path save) throws IOException {
    Path m = save.resolve("metrics.jsonl");
    return Files.exists(m) ? Files.readAllLines(m).size() : 0;
  }

  /** When the metrics line of {@code step} was written (epoch ms). */
  private static long stepMillis(Path save, long step) throws IOException {
    for (String line : Files.readAllLines(save.resolve("metrics.jsonl"))) {
      JsonNode n = JSON.readTree(line);
      if (n.path("step").asLong() == step) {
        return Math.round(n.get("time").asDouble() * 1000);
      }
    }
    throw new AssertionError("no metrics line for step " + step);
  }
}
