package org.olmo4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.olmo4j.config.ConfigLoader;
import org.olmo4j.config.TrainConfig;

/** HYBRID_SHARD's groups as torch's (replicas, G) device mesh, and the world sums through them. */
class ShardGroupsTest {

  @Test
  void sixRanksInThreeReplicasOfTwo() {
    ShardGroups g = new ShardGroups(6, 3);
    assertEquals(2, g.groupSize());
    assertEquals(List.of(2, 3), g.shardGroup(3));
    assertEquals(List.of(1, 3, 5), g.replicaGroup(3));
    assertEquals(1, g.shardRank(3));
    assertEquals(1, g.replicaIndex(3));
    assertTrue(g.writesShards(1));
    assertFalse(g.writesShards(2));
    assertEquals(List.of(0, 1, 2, 3, 4, 5), ShardGroups.single(6).shardGroup(4));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new ShardGroups(5, 2))
        .getMessage().contains("(2) must divide the world size (5 workers)"));
  }

  @Test
  void replicasComeFromTheConfigOrOnePerNode() {
    TrainConfig hybrid = ConfigLoader.fromYaml("fsdp: {sharding_strategy: HYBRID_SHARD}\n",
        List.of());
    assertEquals(3, ShardGroups.replicasOf(hybrid, 3));
    assertEquals(2, ShardGroups.replicasOf(ConfigLoader.fromYaml(
        "fsdp: {sharding_strategy: HYBRID_SHARD, hybrid_sharding_num_model_replicas: 2}\n",
        List.of()), 3));
    assertEquals(1, ShardGroups.replicasOf(ConfigLoader.fromYaml(
        "fsdp: {sharding_strategy: FULL_SHARD}\n", List.of()), 3));
  }

  /** Rank r's world rank and world sum through a shard group of 1 and a replica group of 1. */
  @Test
  void hybridWorldSumsOverBothGroups() {
    HybridWorld w = new HybridWorld(Collectives.single(), Collectives.single());
    assertEquals(0, w.rank());
    assertEquals(1, w.worldSize());
    assertArrayEquals(new double[] {1.5, 2}, w.allReduceSum(new double[] {1.5, 2}));
  }
}
