package org.olmo4j.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.cli.ClusterNode;

/** A node killed with kill -9 mid-run; the run rolls back to the last checkpoint and goes on. */
class FaultToleranceTest {

  @TempDir static Path tmp;
  static Path data;

  @BeforeAll
  static void data() throws Exception {
    data = ClusterRuns.writeTokens(tmp);
  }

  /** A run of two JVMs (this one and a child); {@code afterStart} may kill and restart the child. */
  private static List<Double> twoJvmRun(String name, boolean killAndRestart, String strategy)
      throws Exception {
    Path save = tmp.resolve(name);
    String yaml = ClusterRuns.yaml(data, save, 1, 2, 120, 20,
        "fsdp: {sharding_strategy: " + strategy + "}");
    Path cfgFile = tmp.resolve(name + ".yaml");
    Files.writeString(cfgFile, yaml);
    ClusterNode.Handle first = ClusterNode.start(ClusterRuns.config(yaml), "127.0.0.1", 0, List.of());
    int port = Cluster.get(first.system()).selfMember().address().getPort().get();
    Process child = ClusterRuns.startNodeJvm(cfgFile, port, tmp.resolve(name + "-child.log"));
    Process restarted = null;
    try {
      if (killAndRestart) {
        Path metrics = save.resolve("metrics.jsonl");
        FileEvents.await(save, Duration.ofSeconds(120), "40 steps", () -> lines(metrics) >= 40);
        assertTrue(lines(metrics) >= 40, "the run got going before the kill");
        CompletableFuture<String> lost = ClusterRuns.lossSeen(first.system());
        child.destroyForcibly().waitFor();
        lost.get(60, TimeUnit.SECONDS); // the restarted node joins a cluster that knows the loss
        restarted = ClusterRuns.startNodeJvm(cfgFile, port, tmp.resolve(name + "-restarted.log"));
      }
      first.system().getWhenTerminated().toCompletableFuture().get(240, TimeUnit.SECONDS);
      assertEquals(0, first.exitCode().getNow(-1), "exit code of the first node");
      Process last = restarted != null ? restarted : child;
      assertTrue(last.waitFor(60, TimeUnit.SECONDS), "child node exits");
      assertEquals(0, last.exitValue());
    } finally {
      child.destroyForcibly();
      if (restarted != null) {
        restarted.destroyForcibly();
      }
      first.system().terminate();
    }
    return ClusterRuns.losses(save);
  }

  private static long lines(Path file) throws Exception {
    return Files.exists(file) ? Files.readAllLines(file).size() : 0;
  }

  /**
   * Under each strategy (HYBRID_SHARD: one replica per node): the step abandons its collectives
   * and the world re-forms.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"SHARD_GRAD_OP", "FULL_SHARD", "HYBRID_SHARD"})
  void killedNodeRejoinsAndTheLossesMatchAnUninterruptedRunBitForBit(String strategy)
      throws Exception {
    List<Double> reference = twoJvmRun("uninterrupted-" + strategy, false, strategy);
    List<Double> interrupted = twoJvmRun("interrupted-" + strategy, true, strategy);
    assertEquals(120, reference.size());
    assertEquals(120, interrupted.size(), "every step once in metrics.jsonl after the rollback");
    for (int i = 0; i < 120; i++) {
      assertEquals(Double.doubleToLongBits(reference.get(i)), Double.doubleToLongBits(interrupted.get(i)),
          "step " + (i + 1) + ": " + reference.get(i) + " vs " + interrupted.get(i));
    }
  }
}
