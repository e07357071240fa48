package org.olmo4j.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FULL_SHARD (ZeRO-3) on a real cluster: two JVMs on 127.0.0.1 train the same run as one
 * SHARD_GRAD_OP worker; its checkpoint resumes exactly under FULL_SHARD and loads under
 * SHARD_GRAD_OP.
 */
class FullShardClusterTest {

  private static final String FULL_SHARD = "fsdp: {sharding_strategy: FULL_SHARD}";

  @TempDir Path tmp;

  @Test
  void twoJvmsUnderFullShardTrainTheRunAndTheirCheckpointLoadsUnderEitherStrategy()
      throws Exception {
    Path data = ClusterRuns.writeTokens(tmp);
    List<Double> single = ClusterRuns.runInJvm(ClusterRuns.config(
        ClusterRuns.yaml(data, tmp.resolve("n1"), 1, 1)));

    Path save = tmp.resolve("jvm2");
    List<Double> fullShard = ClusterRuns.runOnTwoJvms(tmp, "jvm2",
        ClusterRuns.yaml(data, save, 1, 2, FULL_SHARD), Duration.ofSeconds(180));
    // As SHARD_GRAD_OP's N = 2 against N = 1 (DistributedTrainingTest): summation order only.
    ClusterRuns.assertClose(single, fullShard, "FULL_SHARD on 2 JVMs vs 1 SHARD_GRAD_OP worker",
        1e-4);

    // The FULL_SHARD checkpoint of step 10, resumed under FULL_SHARD with the same N (two
    // workers in one JVM now): steps 11..20 bit for bit.
    List<Double> resumed = ClusterRuns.runInJvm(ClusterRuns.config(ClusterRuns.yaml(data,
        tmp.resolve("resume-full"), 2, 2, FULL_SHARD, "load_path: " + save.resolve("step10"))));
    assertEquals(fullShard.subList(10, 20), resumed, "FULL_SHARD resumed with the same N");

    // Loaded by one SHARD_GRAD_OP worker: the same step 11 to rounding.
    List<Double> other = ClusterRuns.runInJvm(ClusterRuns.config(ClusterRuns.yaml(data,
        tmp.resolve("resume-zero2"), 1, 1, "load_path: " + save.resolve("step10"))));
    ClusterRuns.assertClose(fullShard.subList(10, 11), other.subList(0, 1),
        "FULL_SHARD checkpoint under SHARD_GRAD_OP", 1e-5);
  }
}
