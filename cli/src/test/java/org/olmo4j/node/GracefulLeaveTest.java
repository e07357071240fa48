package org.olmo4j.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.cli.ClusterNode;

/** SIGTERM on a worker node: checkpoint at the next step, re-form without it, lose no step. */
class GracefulLeaveTest {

  @TempDir Path tmp;

  @Test
  void sigtermDrainsTheNodeWithoutLosingSteps() throws Exception {
    Path data = ClusterRuns.writeTokens(tmp);
    Path save = tmp.resolve("run");
    String yaml = ClusterRuns.yaml(data, save, 1, 1, 600, 20);
    Path cfgFile = tmp.resolve("leave.yaml");
    Files.writeString(cfgFile, yaml);
    ClusterNode.Handle first = ClusterNode.start(ClusterRuns.config(yaml), "127.0.0.1", 0, List.of());
    int port = Cluster.get(first.system()).selfMember().address().getPort().get();
    Process node = ClusterRuns.startNodeJvm(cfgFile, port, tmp.resolve("leaving.log"));
    long stepsBeforeSigterm;
    try {
      FileEvents.await(save, Duration.ofSeconds(120), "10 steps in a world of 2",
          () -> worldSize(save) == 2 && lines(save) >= startStep(save) + 10);
      assertEquals(2, worldSize(save), "the second node joined the world");
      stepsBeforeSigterm = lines(save);
      node.destroy(); // SIGTERM: Pekko's coordinated shutdown drains the node
      assertTrue(node.waitFor(120, TimeUnit.SECONDS), "the leaving node exits");
      first.system().getWhenTerminated().toCompletableFuture().get(240, TimeUnit.SECONDS);
      assertEquals(0, first.exitCode().getNow(-1));
    } finally {
      node.destroyForcibly();
      first.system().terminate();
    }
    long drainStep = world(save).get("start_step").asLong();
    assertTrue(Files.isDirectory(save.resolve("step" + drainStep)), "drain checkpoint committed");
    assertTrue(drainStep >= stepsBeforeSigterm, "checkpointed at step " + drainStep
        + ", at or after the " + stepsBeforeSigterm + " steps done before SIGTERM: no step lost");
    assertEquals(1, worldSize(save), "the world went on without the drained node");
    List<Double> losses = ClusterRuns.losses(save);
    assertEquals(600, losses.size(), "every step exactly once");
    assertTrue(Files.readString(tmp.resolve("leaving.log")).contains("drained"),
        Files.readString(tmp.resolve("leaving.log")));
  }

  private static long lines(Path save) throws Exception {
    Path m = save.resolve("metrics.jsonl");
    return Files.exists(m) ? Files.readAllLines(m).size() : 0;
  }

  private static long startStep(Path save) {
    try {
      return world(save).get("start_step").asLong();
    } catch (Exception e) {
      return Long.MAX_VALUE / 2;
    }
  }

  private static int worldSize(Path save) {
    try {
      return world(save).get("world_size").asInt();
    } catch (Exception e) {
      return 0;
    }
  }

  private static com.fasterxml.jackson.databind.JsonNode world(Path save) throws Exception {
    return new ObjectMapper().readTree(save.resolve("world.json").toFile());
  }
}
