package org.olmo4j.config;

/**
 * OLMo's {@code fsdp} section: the sharding strategy and, for {@code HYBRID_SHARD}, the number of
 * model replicas (groups of workers that each hold one full sharded copy).
 */
public record FsdpConfig(
    ShardingStrategy shardingStrategy,
    /* nullable: one replica per node */ Integer hybridShardingNumModelReplicas) {}
