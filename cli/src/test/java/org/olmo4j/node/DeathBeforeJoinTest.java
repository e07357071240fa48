package org.olmo4j.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.cli.ClusterNode;

/**
 * A node dies after it was assigned a world and before it joined it (its JVM halts, as after
 * kill -9). The other rank of that world waits in its join for a peer that never comes; when the
 * next world is assigned, once a new node is there, it gives that join up at once and joins the
 * new one. Before, it waited out {@code cluster.exchange_timeout_seconds}: here 300 s, longer
 * than this test waits.
 */
class DeathBeforeJoinTest {

  private static final int STEPS = 40;
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path tmp;

  @Test
  void aRankJoiningAWorldWhosePeerDiedJoinsTheNextOneAtOnce() throws Exception {
    Path data = ClusterRuns.writeTokens(tmp);
    Path save = tmp.resolve("run");
    String yaml = ClusterRuns.yaml(data, save, 1, 2, STEPS, 10)
        .replace("exchange_timeout_seconds: 30", "exchange_timeout_seconds: 300");
    Path cfgFile = tmp.resolve("run.yaml");
    Files.writeString(cfgFile, yaml);
    ClusterNode.Handle first = ClusterNode.start(ClusterRuns.config(yaml), "127.0.0.1", 0, List.of());
    int port = Cluster.get(first.system()).selfMember().address().getPort().get();
    List<String> node = List.of("node", cfgFile.toString(), "--seed-nodes=127.0.0.1:" + port,
        "--port=0");
    Path dyingLog = tmp.resolve("dying-node.log");
    Process dying = ClusterRuns.startCliJvm(dyingLog, node, Map.of(),
        List.of("-Dolmo4j.test.halt_before_join=true"));
    Process spare = null;
    try {
      // min_workers = 2: the first world is this node's worker and the dying node's, which halts
      // before its join; this node's rank waits in that join.
      assertTrue(dying.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), "the dying node halts");
      assertEquals(137, dying.exitValue(), Files.readString(dyingLog));
      long died = System.nanoTime();
      spare = ClusterRuns.startNodeJvm(cfgFile, port, tmp.resolve("spare-node.log"));
      FileEvents.await(save, WAIT, "a world of this node and the spare one",
          () -> Files.exists(save.resolve("world.json"))
              && world(save).get("world_size").asInt() == 2,
          first.exitCode());
      double seconds = (System.nanoTime() - died) / 1e9;
      System.out.printf("death before join: the next world was ready %.1f s after the death"
          + " (exchange timeout 300 s)%n", seconds);
      assertTrue(world(save).get("generation").asLong() >= 2, world(save).toString());
      first.system().getWhenTerminated().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertEquals(0, first.exitCode().getNow(-1), "exit code of the run");
      assertTrue(spare.waitFor(60, TimeUnit.SECONDS), "the spare node exits with the run");
      assertEquals(0, spare.exitValue());
      assertEquals(STEPS, ClusterRuns.losses(save).size(), "every step once");
    } finally {
      dying.destroyForcibly();
      if (spare != null) {
        spare.destroyForcibly();
      }
      first.system().terminate();
    }
  }

  private static JsonNode world(Path save) throws Exception {
    return JSON.readTree(save.resolve("world.json").toFile());
  }
}
