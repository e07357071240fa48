package org.olmo4j.node;

import org.olmo4j.cli.ClusterNode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opt-in chaos run ({@code mvn -B verify -Pchaos}): a few hundred steps on two JVMs while the
 * second JVM is killed with kill -9 and restarted at random moments; the final losses must equal
 * an uninterrupted run's (same world size after every rejoin, so bit for bit).
 */
@Tag("chaos")
class ChaosTest {

  @TempDir Path tmp;

  private List<Double> run(Path data, String name, int kills, long seed) throws Exception {
    Path save = tmp.resolve(name);
    String yaml = ClusterRuns.yaml(data, save, 1, 2, 300, 10);
    Path cfgFile = tmp.resolve(name + ".yaml");
    Files.writeString(cfgFile, yaml);
    ClusterNode.Handle first = ClusterNode.start(ClusterRuns.config(yaml), "127.0.0.1", 0, List.of());
    int port = Cluster.get(first.system()).selfMember().address().getPort().get();
    Path log = tmp.resolve(name + "-nodes.log");
    Process node = ClusterRuns.startNodeJvm(cfgFile, port, log);
    SplittableRandom rnd = new SplittableRandom(seed);
    try {
      for (int k = 0; k < kills; k++) {
        // Kill only a node that holds a rank: wait until the world has both again, then for a
        // random number of steps.
        CompletableFuture<?> ended = first.system().getWhenTerminated().toCompletableFuture();
        Duration wait = Duration.ofSeconds(120);
        FileEvents.await(save, wait, "a world of 2", () -> worldSize(save) == 2, ended);
        long killAt = lines(save) + 5 + rnd.nextInt(30);
        FileEvents.await(save, wait, "step " + killAt, () -> lines(save) >= killAt, ended);
        if (!ended.isDone()) {
          CompletableFuture<String> lost = ClusterRuns.lossSeen(first.system());
          node.destroyForcibly().waitFor();
          if (rnd.nextBoolean()) { // else restart before the failure detector has noticed
            lost.get(60, TimeUnit.SECONDS);
          }
          node = ClusterRuns.startNodeJvm(cfgFile, port, log);
        }
      }
      first.system().getWhenTerminated().toCompletableFuture().get(900, TimeUnit.SECONDS);
      assertEquals(0, first.exitCode().getNow(-1));
      assertTrue(node.waitFor(60, TimeUnit.SECONDS));
    } finally {
      node.destroyForcibly();
      first.system().terminate();
    }
    return ClusterRuns.losses(save);
  }

  private static long lines(Path save) throws Exception {
    Path m = save.resolve("metrics.jsonl");
    return Files.exists(m) ? Files.readAllLines(m).size() : 0;
  }

  private static int worldSize(Path save) {
    try {
      return new com.fasterxml.jackson.databind.ObjectMapper()
          .readTree(save.resolve("world.json").toFile()).get("world_size").asInt();
    } catch (Exception e) {
      return 0;
    }
  }

  @Test
  void randomKillsAndRestartsEndWhereAnUninterruptedRunEnds() throws Exception {
    Path data = ClusterRuns.writeTokens(tmp);
    List<Double> reference = run(data, "calm", 0, 0);
    List<Double> chaos = run(data, "chaos", 4, 2026);
    assertEquals(300, chaos.size());
    assertEquals(reference, chaos, "losses of every step after the chaos equal the calm run's");
  }
}
