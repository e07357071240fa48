package org.olmo4j.node;

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
import org.olmo4j.cli.ClusterNode;

/**
 * Opt-in chaos run ({@code mvn -B verify -Pchaos -pl cli -am}): a few hundred steps on two JVMs
 * while the second JVM, at random moments, is killed with kill -9, frozen with SIGSTOP (and woken
 * once the cluster has noticed: it must exit on its own), or has its rank stuck before a step's
 * collective (the test hook; the watchdog removes it) — each time restarted; the final losses
 * must equal an uninterrupted run's (cluster.min_workers = 2: every world has both, so bit for
 * bit).
 */
@Tag("chaos")
class ChaosTest {

  @TempDir Path tmp;

  private enum Fault { KILL, SIGSTOP, STUCK }

  private List<Double> run(Path data, String name, int kills, long seed) throws Exception {
    Path save = tmp.resolve(name);
    String yaml = ClusterRuns.yaml(data, save, 1, 2, 300, 10);
    Path cfgFile = tmp.resolve(name + ".yaml");
    Files.writeString(cfgFile, yaml);
    ClusterNode.Handle first = ClusterNode.start(ClusterRuns.config(yaml), "127.0.0.1", 0, List.of());
    int port = Cluster.get(first.system()).selfMember().address().getPort().get();
    Path log = tmp.resolve(name + "-nodes.log");
    SplittableRandom rnd = new SplittableRandom(seed);
    Fault next = kills == 0 ? Fault.KILL : Fault.values()[rnd.nextInt(Fault.values().length)];
    Process node = startNode(cfgFile, port, log, next, 0, rnd);
    try {
      for (int k = 0; k < kills; k++) {
        // Hit only a node that holds a rank: wait until the world has both again, then for a
        // random number of steps (a stuck rank blocks at the step it was started with).
        CompletableFuture<?> ended = first.system().getWhenTerminated().toCompletableFuture();
        Duration wait = Duration.ofSeconds(120);
        FileEvents.await(save, wait, "a world of 2", () -> worldSize(save) == 2, ended);
        CompletableFuture<String> lost = ClusterRuns.lossSeen(first.system());
        if (next != Fault.STUCK) {
          long hitAt = lines(save) + 5 + rnd.nextInt(30);
          FileEvents.await(save, wait, "step " + hitAt, () -> lines(save) >= hitAt, ended);
        }
        if (ended.isDone()) {
          break;
        }
        System.out.printf("chaos: %s at step %d%n", next, lines(save));
        switch (next) {
          case KILL -> {
            node.destroyForcibly().waitFor();
            if (rnd.nextBoolean()) { // else restart before the failure detector has noticed
              lost.get(60, TimeUnit.SECONDS);
            }
          }
          case SIGSTOP -> {
            signal("STOP", node);
            lost.get(60, TimeUnit.SECONDS);
            signal("CONT", node);
            assertTrue(node.waitFor(90, TimeUnit.SECONDS), "a woken removed node exits");
          }
          case STUCK -> {
            lost.get(180, TimeUnit.SECONDS); // the watchdog downs its node
            assertTrue(node.waitFor(90, TimeUnit.SECONDS), "a downed stuck node exits");
          }
        }
        next = Fault.values()[rnd.nextInt(Fault.values().length)];
        node = startNode(cfgFile, port, log, k + 1 < kills ? next : Fault.KILL, lines(save), rnd);
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

  /** The second node; with {@code STUCK} next, its rank will block a few steps after it joins. */
  private static Process startNode(Path cfgFile, int port, Path log, Fault next, long step,
      SplittableRandom rnd) throws Exception {
    List<String> jvm = next != Fault.STUCK ? List.of() : List.of(
        "-Dolmo4j.test.stuck_at_step=" + (step + 25 + rnd.nextInt(20)),
        "-Dolmo4j.test.stuck_seconds=15");
    return ClusterRuns.startCliJvm(log, List.of("node", cfgFile.toString(),
        "--seed-nodes=127.0.0.1:" + port, "--port=0"), java.util.Map.of(), jvm);
  }

  private static void signal(String signal, Process p) throws Exception {
    if (p.isAlive()) {
      new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start().waitFor();
    }
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
    List<Double> chaos = run(data, "chaos", 5, Long.getLong("olmo4j.chaos.seed", 2026));
    assertEquals(300, chaos.size());
    assertEquals(reference, chaos, "losses of every step after the chaos equal the calm run's");
  }
}
