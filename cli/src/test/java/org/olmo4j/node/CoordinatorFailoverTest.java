package org.olmo4j.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator's node is killed (kill -9): the singleton moves to the next oldest node, the
 * new coordinator learns from the workers where the run stands and continues it from the last
 * committed checkpoint, with no operator.
 */
class CoordinatorFailoverTest {

  @TempDir static Path tmp;

  private static final int STEPS = 80;
  private static final String MAX_WORKERS = "--cluster.max_workers=2";

  /**
   * Nodes A (seed, coordinator), B and C with one worker each and {@code cluster.max_workers: 2},
   * so the world is A's and B's workers and C's is spare. With {@code killA}, A dies after step
   * 15; the world re-formed from B and C has the same N = 2 as before.
   */
  private static List<Double> run(String name, boolean killA) throws Exception {
    Path data = ClusterRuns.writeTokens(tmp);
    Path save = tmp.resolve(name);
    Path cfg = tmp.resolve(name + ".yaml");
    Files.writeString(cfg, ClusterRuns.yaml(data, save, 1, 2, STEPS, 10));
    int port = freePort();
    Process a = ClusterRuns.startCliJvm(tmp.resolve(name + "-a.log"),
        List.of("train", cfg.toString(), "--port=" + port, MAX_WORKERS));
    List<Process> others = new ArrayList<>();
    try {
      others.add(ClusterRuns.startNodeJvm(cfg, port, tmp.resolve(name + "-b.log"), MAX_WORKERS));
      if (killA) {
        others.add(ClusterRuns.startNodeJvm(cfg, port, tmp.resolve(name + "-c.log"), MAX_WORKERS));
        // Kill once all three nodes are in the run and a checkpoint is committed: with only two
        // members left the oldest side would be kept (see application.conf).
        Path logA = tmp.resolve(name + "-a.log");
        FileEvents.await(List.of(tmp, save), Duration.ofSeconds(150),
            "three nodes in the run and a checkpoint",
            () -> count(logA, "joined the run") == 3 && Files.exists(save.resolve("latest")), a.onExit());
        assertEquals(3, count(logA, "joined the run"), "three nodes in the run before the kill");
        assertTrue(lines(save) < STEPS - 5, "the kill comes before the end of the run");
        a.destroyForcibly().waitFor();
        System.out.println(java.time.LocalTime.now() + " killed the coordinator's node after "
            + lines(save) + " steps");
      } else {
        assertTrue(a.waitFor(240, TimeUnit.SECONDS), "node A exits");
        assertEquals(0, a.exitValue(), "exit code of node A");
      }
      for (Process p : others) {
        assertTrue(p.waitFor(240, TimeUnit.SECONDS), "node exits at the end of the run");
        assertEquals(0, p.exitValue(), "exit code of a surviving node");
      }
    } catch (AssertionError e) {
      for (String node : List.of("a", "b", "c")) {
        Path log = tmp.resolve(name + "-" + node + ".log");
        if (Files.exists(log)) {
          List<String> l = Files.readAllLines(log);
          System.out.println("--- " + log + " (last lines)\n"
              + String.join("\n", l.subList(Math.max(0, l.size() - 60), l.size())));
        }
      }
      throw e;
    } finally {
      a.destroyForcibly();
      others.forEach(Process::destroyForcibly);
    }
    return ClusterRuns.losses(save);
  }

  @Test
  void theRunContinuesWhenTheCoordinatorsNodeDies() throws Exception {
    List<Double> reference = run("uninterrupted", false);
    List<Double> failedOver = run("failover", true);
    String logs = Files.readString(tmp.resolve("failover-b.log"))
        + Files.readString(tmp.resolve("failover-c.log"));
    assertTrue(logs.contains("taking over the run"), "a surviving node took the coordinator over");
    logs.lines().filter(l -> l.contains("taking over") || l.contains("recovered:"))
        .forEach(System.out::println);
    assertEquals(STEPS, reference.size());
    assertEquals(STEPS, failedOver.size(), "every step once in metrics.jsonl after the rollback");
    for (int i = 0; i < STEPS; i++) {
      assertEquals(Double.doubleToLongBits(reference.get(i)), Double.doubleToLongBits(failedOver.get(i)),
          "step " + (i + 1) + ": " + reference.get(i) + " vs " + failedOver.get(i));
    }
  }

  private static long lines(Path save) throws Exception {
    Path m = save.resolve("metrics.jsonl");
    return Files.exists(m) ? Files.readAllLines(m).size() : 0;
  }

  private static long count(Path log, String text) throws Exception {
    return Files.exists(log) ? Files.readAllLines(log).stream().filter(l -> l.contains(text)).count() : 0;
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
