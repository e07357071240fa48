package org.olmo4j.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.checkpoint.CheckpointStore;
import org.olmo4j.config.DataPlaneConfig;
import org.olmo4j.config.ShardingStrategy;

/**
 * HYBRID_SHARD on a real cluster: two JVMs of two workers each, each JVM behind a proxy on fixed
 * data-plane ports, one replica per node (the default), so each node is a shard group of 2 and
 * the replica groups cross the JVMs (and the proxies). It trains
 * the same run as one SHARD_GRAD_OP worker; replica 0's group writes the checkpoint's 2 shards;
 * it resumes bit for bit with 2 explicit replicas of 2 in one JVM and loads under SHARD_GRAD_OP.
 */
class HybridShardClusterTest {

  private static final String HYBRID = "fsdp: {sharding_strategy: HYBRID_SHARD}";

  @TempDir Path tmp;

  @Test
  void twoNodesOfTwoWorkersTrainAsOneWorkerAndResumeExactly() throws Exception {
    Path data = ClusterRuns.writeTokens(tmp);
    List<Double> single = ClusterRuns.runInJvm(ClusterRuns.config(
        ClusterRuns.yaml(data, tmp.resolve("n1"), 1, 1)));

    // Both nodes behind proxies on fixed data-plane ports: 2 workers x 2 exchange servers each
    // bind one run of ports and advertise the proxy's, so the replica groups' traffic between the
    // JVMs crosses the proxies at the ports the coordinator hands out.
    Path save = tmp.resolve("hybrid");
    Path cfgFile = tmp.resolve("hybrid.yaml");
    Files.writeString(cfgFile, ClusterRuns.yaml(data, save, 2, 4, HYBRID));
    List<ProxiedNode> nodes = ProxiedNode.create(tmp,
        2 * DataPlaneConfig.portsPerWorker(ShardingStrategy.HYBRID_SHARD), "hybrid-a", "hybrid-b");
    try {
      nodes.get(0).start(cfgFile, nodes.get(0));
      nodes.get(1).start(cfgFile, nodes.get(0));
      for (ProxiedNode n : nodes) {
        assertTrue(n.process().waitFor(240, TimeUnit.SECONDS), n.name + " finishes");
        assertEquals(0, n.process().exitValue(), Files.readString(n.log(1)));
      }
    } finally {
      nodes.forEach(ProxiedNode::close);
    }
    List<Double> hybrid = ClusterRuns.losses(save);
    System.out.printf("HYBRID_SHARD 2 nodes x 2 vs one worker: max relative loss difference %.2e%n",
        maxRelative(single, hybrid));
    // As the in-process 2 x 2 step (FullShardStepTest, 9.3e-8): summation order only.
    ClusterRuns.assertClose(single, hybrid, "HYBRID_SHARD 2 x 2 on 2 JVMs vs 1 worker", 1e-5);

    // Every replica holds the same pieces: replica 0's shard group wrote G = 2 shard files.
    Path step10 = save.resolve("step10");
    try (Stream<Path> files = Files.list(step10)) {
      assertEquals(List.of(CheckpointStore.shardFileName(0, 2), CheckpointStore.shardFileName(1, 2)),
          files.map(p -> p.getFileName().toString())
              .filter(n -> n.endsWith(".safetensors")).sorted().toList());
    }

    // Resumed with the same layout (2 replicas of 2, four workers in one JVM now): bit for bit.
    List<Double> resumed = ClusterRuns.runInJvm(ClusterRuns.config(ClusterRuns.yaml(data,
        tmp.resolve("resume-hybrid"), 4, 4,
        "fsdp: {sharding_strategy: HYBRID_SHARD, hybrid_sharding_num_model_replicas: 2}",
        "load_path: " + step10)));
    assertEquals(hybrid.subList(10, 20), resumed, "HYBRID_SHARD resumed with the same layout");

    // Loaded by one SHARD_GRAD_OP worker: the same step 11 to rounding.
    List<Double> other = ClusterRuns.runInJvm(ClusterRuns.config(ClusterRuns.yaml(data,
        tmp.resolve("resume-zero2"), 1, 1, "load_path: " + step10)));
    ClusterRuns.assertClose(hybrid.subList(10, 11), other.subList(0, 1),
        "HYBRID_SHARD checkpoint under SHARD_GRAD_OP", 1e-5);
  }

  /**
   * Three workers up, 2 replicas: the world takes the largest multiple of 2 (two workers, shard
   * groups of one) and the third waits, also at the checkpoint of step 5 (it would not make a
   * larger multiple: no re-forming); the run is still one worker's to rounding.
   */
  @Test
  void aWorldTakesTheLargestMultipleOfTheReplicas() throws Exception {
    Path data = ClusterRuns.writeTokens(tmp);
    List<Double> single = ClusterRuns.runInJvm(ClusterRuns.config(
        ClusterRuns.yaml(data, tmp.resolve("n1"), 1, 1, 10, 5)));
    Path save = tmp.resolve("three");
    List<Double> two = ClusterRuns.runInJvm(ClusterRuns.config(ClusterRuns.yaml(data, save, 3, 2,
        10, 5, "fsdp: {sharding_strategy: HYBRID_SHARD, hybrid_sharding_num_model_replicas: 2}")));
    ClusterRuns.assertClose(single, two, "HYBRID_SHARD 2 x 1 of 3 workers vs 1 worker", 1e-5);
    String world = Files.readString(save.resolve("world.json"));
    assertTrue(world.contains("\"world_size\" : 2"), world);
    assertTrue(world.contains("\"generation\" : 1,"), "one world for the whole run: " + world);
  }

  private static double maxRelative(List<Double> a, List<Double> b) {
    double worst = 0;
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      worst = Math.max(worst, Math.abs(a.get(i) - b.get(i)) / Math.abs(a.get(i)));
    }
    return worst;
  }
}
