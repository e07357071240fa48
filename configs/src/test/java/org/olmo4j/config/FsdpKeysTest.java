package org.olmo4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** OLMo's fsdp and activation_checkpointing keys: honoured, defaulted, refused with one line. */
class FsdpKeysTest {

  private static TrainConfig load(String... overrides) {
    return ConfigLoader.fromYaml("precision: fp32\n", List.of(overrides));
  }

  private static String refusal(String... overrides) {
    return assertThrows(ConfigException.class, () -> load(overrides)).getMessage();
  }

  @Test
  void defaultsAreShardGradOpWithoutCheckpointing() {
    TrainConfig c = load();
    assertEquals(ShardingStrategy.SHARD_GRAD_OP, c.fsdp().shardingStrategy());
    assertNull(c.fsdp().hybridShardingNumModelReplicas());
    assertNull(c.activationCheckpointing());
  }

  @Test
  void olmoNamesAreRead() {
    TrainConfig c = load("--fsdp.sharding_strategy=FULL_SHARD",
        "--activation_checkpointing=one_in_three");
    assertEquals(ShardingStrategy.FULL_SHARD, c.fsdp().shardingStrategy());
    assertEquals(ActivationCheckpointing.ONE_IN_THREE, c.activationCheckpointing());
    assertTrue(ActivationCheckpointing.checkpoints(c.activationCheckpointing(), 3));
    assertTrue(!ActivationCheckpointing.checkpoints(c.activationCheckpointing(), 4));
  }

  @Test
  void hybridShardIsReadWithItsReplicas() {
    TrainConfig c = load("--fsdp.sharding_strategy=HYBRID_SHARD",
        "--fsdp.hybrid_sharding_num_model_replicas=2");
    assertEquals(ShardingStrategy.HYBRID_SHARD, c.fsdp().shardingStrategy());
    assertEquals(2, c.fsdp().hybridShardingNumModelReplicas());
    assertTrue(refusal("--fsdp.sharding_strategy=HYBRID_SHARD",
        "--fsdp.hybrid_sharding_num_model_replicas=0").contains("must be >= 1"));
    assertTrue(refusal("--fsdp.sharding_strategy=HYBRID_SHARD", "--cluster.data_plane.port=65533")
        .contains("room for 4 ports (4 per worker under HYBRID_SHARD"));
    assertTrue(refusal("--fsdp.sharding_strategy=HYBRID_SHARD",
        "--fsdp.hybrid_sharding_num_model_replicas=3", "--cluster.max_workers=2")
        .contains("cluster.max_workers (2) must be >= fsdp.hybrid_sharding_num_model_replicas (3)"));
  }

  @Test
  void whatIsNotBuiltIsRefusedNamingTheKey() {
    assertTrue(refusal("--fsdp.hybrid_sharding_num_model_replicas=2")
        .contains("applies to HYBRID_SHARD only"));
    assertTrue(refusal("--fsdp.sharding_strategy=NO_SHARD").contains("sharding_strategy"));
  }
}
