package org.olmo4j.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.checkpoint.CheckpointStore;

/**
 * Opt-in chaos run ({@code mvn -B verify -Pchaos -pl cli -am}): a few hundred steps on two JVMs,
 * each behind its own {@link FaultProxy}, while the second JVM, at random moments, is killed
 * with kill -9, frozen with SIGSTOP (woken once the cluster has noticed: it must exit on its
 * own), has its rank stuck before a step's collective (the test hook; the watchdog removes it),
 * or is cut off by a partition of both directions (healed once it has exited) — each time
 * restarted on the same ports. The final losses must equal an uninterrupted run's
 * (cluster.min_workers = 2: every world has both, so bit for bit) and every committed
 * checkpoint verifies. {@code -Dolmo4j.chaos.seed} picks another sequence.
 */
@Tag("chaos")
class ChaosTest {

  private static final int STEPS = 300;
  private static final int FAULTS = 5;
  private static final Duration WAIT = Duration.ofSeconds(180);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  private enum Fault { KILL, SIGSTOP, STUCK, PARTITION }

  private List<Double> run(Path data, String name, int faults, long seed) throws Exception {
    Path save = tmp.resolve(name);
    Path cfg = tmp.resolve(name + ".yaml");
    Files.writeString(cfg, ClusterRuns.yaml(data, save, 1, 2, STEPS, 10));
    List<ProxiedNode> nodes = ProxiedNode.create(tmp, name + "-a", name + "-b");
    ProxiedNode a = nodes.get(0);
    ProxiedNode b = nodes.get(1);
    SplittableRandom rnd = new SplittableRandom(seed);
    List<String> done = new ArrayList<>();
    try {
      CompletableFuture<Process> ended = a.start(cfg, a).onExit();
      Fault next = faults == 0 ? Fault.KILL : pick(rnd);
      start(b, cfg, a, next, 0, rnd);
      for (int k = 0; k < faults; k++) {
        // Hit the second node only while it holds a rank: wait until the world has both again,
        // then for a random number of steps (a stuck rank blocks at the step it was started with).
        FileEvents.await(save, WAIT, "a world of 2", () -> world(save).get("world_size").asInt() == 2,
            ended);
        long reforms = reforms(a);
        if (next != Fault.STUCK) {
          long hitAt = lines(save) + 5 + rnd.nextInt(30);
          FileEvents.await(save, WAIT, "step " + hitAt, () -> lines(save) >= hitAt, ended);
        }
        if (ended.isDone()) {
          break;
        }
        done.add(next + "@" + lines(save));
        switch (next) {
          case KILL -> {
            b.process().destroyForcibly().waitFor();
            if (rnd.nextBoolean()) { // else restart before the failure detector has noticed
              awaitReform(a, reforms, ended);
            }
          }
          case SIGSTOP -> {
            long downings = count(a, "SBR took decision");
            signal("STOP", b.process());
            awaitReform(a, reforms, ended);
            // Woken before the split brain resolver's decision it would stay a member (README).
            FileEvents.await(a.log(1).getParent(), WAIT, "the split brain resolver downs it",
                () -> count(a, "SBR took decision") > downings, ended);
            signal("CONT", b.process());
            assertTrue(b.process().waitFor(90, TimeUnit.SECONDS), "a woken removed node exits");
          }
          case STUCK -> {
            awaitReform(a, reforms, ended); // the watchdog downs its node
            assertTrue(b.process().waitFor(90, TimeUnit.SECONDS), "a downed stuck node exits");
          }
          case PARTITION -> {
            a.proxy.cut();
            b.proxy.cut();
            awaitReform(a, reforms, ended);
            assertTrue(b.process().waitFor(90, TimeUnit.SECONDS), "the cut-off node exits");
            a.proxy.heal();
            b.proxy.heal();
          }
        }
        next = k + 1 < faults ? pick(rnd) : Fault.KILL;
        start(b, cfg, a, next, lines(save), rnd);
      }
      System.out.println("chaos (seed " + seed + "): " + done);
      Process first = ended.get(900, TimeUnit.SECONDS);
      assertEquals(0, first.exitValue(), "exit code of the first node");
      assertTrue(b.process().waitFor(60, TimeUnit.SECONDS), "the second node exits with the run");
      assertEquals(0, b.process().exitValue(), "exit code of the second node");
    } finally {
      signal("CONT", b.process());
      nodes.forEach(ProxiedNode::close);
    }
    CheckpointStore store = new CheckpointStore(save);
    for (long step : store.committedSteps()) {
      CheckpointStore.verify(store.stepDir(step));
    }
    return ClusterRuns.losses(save);
  }

  private static Fault pick(SplittableRandom rnd) {
    return Fault.values()[rnd.nextInt(Fault.values().length)];
  }

  /** (Re)starts the second node; with {@code STUCK} next, its rank blocks after it joins. */
  private static void start(ProxiedNode b, Path cfg, ProxiedNode seed, Fault next, long step,
      SplittableRandom rnd) throws Exception {
    if (next == Fault.STUCK) {
      b.start(cfg, seed, List.of("-Dolmo4j.test.stuck_at_step=" + (step + 25 + rnd.nextInt(20)),
          "-Dolmo4j.test.stuck_seconds=15"));
    } else {
      b.start(cfg, seed);
    }
  }

  /**
   * The coordinator (on the first node) noticed the fault: its log has one more re-forming line
   * than before (no new world forms before the second node is back: min_workers = 2).
   */
  private static void awaitReform(ProxiedNode a, long before, CompletableFuture<?> ended)
      throws Exception {
    FileEvents.await(a.log(1).getParent(), WAIT, "the coordinator re-forms the world",
        () -> reforms(a) > before, ended);
  }

  private static long reforms(ProxiedNode a) throws Exception {
    return count(a, "re-forming the world");
  }

  private static long count(ProxiedNode a, String text) throws Exception {
    return Files.readString(a.log(1)).lines().filter(l -> l.contains(text)).count();
  }

  private static void signal(String signal, Process p) throws Exception {
    if (p != null && p.isAlive()) {
      new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start().waitFor();
    }
  }

  private static JsonNode world(Path save) throws Exception {
    return JSON.readTree(save.resolve("world.json").toFile());
  }

  private static long lines(Path save) throws Exception {
    Path m = save.resolve("metrics.jsonl");
    return Files.exists(m) ? Files.readAllLines(m).size() : 0;
  }

  @Test
  void randomFaultsEndWhereAnUninterruptedRunEnds() throws Exception {
    Path data = ClusterRuns.writeTokens(tmp);
    List<Double> reference = run(data, "calm", 0, 0);
    List<Double> chaos = run(data, "chaos", FAULTS, Long.getLong("olmo4j.chaos.seed", 2026));
    assertEquals(STEPS, chaos.size());
    assertEquals(reference, chaos, "losses of every step after the chaos equal the calm run's");
  }
}
