package org.olmo4j.train;

import java.util.ArrayList;
import java.util.List;
import org.olmo4j.config.ShardingStrategy;
import org.olmo4j.config.TrainConfig;

/**
 * How a world of {@code worldSize} ranks is split into groups, as torch's HSDP device mesh of
 * shape (replicas, G): rank r is rank {@code r % G} of shard group {@code r / G} (ranks {@code
 * (r / G)·G ..} hold one sharded copy of the model between them) and rank {@code r / G} of
 * replica group {@code r % G} (the ranks holding the same piece, one per shard group). G =
 * worldSize / replicas. SHARD_GRAD_OP and FULL_SHARD are one replica: a single shard group of
 * every rank. Ranks are ordered node by node, so with equal workers per node and one replica per
 * node a shard group is a node.
 */
public record ShardGroups(int worldSize, int replicas) {

  public ShardGroups {
    if (replicas < 1 || worldSize < 1 || worldSize % replicas != 0) {
      throw new IllegalArgumentException("fsdp.hybrid_sharding_num_model_replicas (" + replicas
          + ") must divide the world size (" + worldSize + " workers)");
    }
  }

  /** One shard group of every rank (no replicas). */
  public static ShardGroups single(int worldSize) {
    return new ShardGroups(worldSize, 1);
  }

  /**
   * The replicas of {@code cfg}'s strategy: HYBRID_SHARD's {@code
   * hybrid_sharding_num_model_replicas}, or {@code nodes} when it is null (one per node, as
   * OLMo); 1 for the other strategies.
   */
  public static int replicasOf(TrainConfig cfg, int nodes) {
    if (cfg.fsdp().shardingStrategy() != ShardingStrategy.HYBRID_SHARD) {
      return 1;
    }
    Integer r = cfg.fsdp().hybridShardingNumModelReplicas();
    return r != null ? r : Math.max(1, nodes);
  }

  /** G: ranks per shard group, each holding 1/G of the model. */
  public int groupSize() {
    return worldSize / replicas;
  }

  /** {@code rank}'s rank inside its shard group (which piece it holds). */
  public int shardRank(int rank) {
    return rank % groupSize();
  }

  /** {@code rank}'s replica: the index of its shard group, and its rank in its replica group. */
  public int replicaIndex(int rank) {
    return rank / groupSize();
  }

  /** The world ranks of {@code rank}'s shard group, in shard-rank order. */
  public List<Integer> shardGroup(int rank) {
    List<Integer> out = new ArrayList<>();
    int first = replicaIndex(rank) * groupSize();
    for (int i = 0; i < groupSize(); i++) {
      out.add(first + i);
    }
    return out;
  }

  /** The world ranks of {@code rank}'s replica group, in replica order. */
  public List<Integer> replicaGroup(int rank) {
    List<Integer> out = new ArrayList<>();
    for (int k = 0; k < replicas; k++) {
      out.add(k * groupSize() + shardRank(rank));
    }
    return out;
  }

  /**
   * Whether {@code rank} writes its shard at a checkpoint: every replica holds the same pieces,
   * so replica 0's shard group writes them (G shard files).
   */
  public boolean writesShards(int rank) {
    return replicaIndex(rank) == 0;
  }
}
