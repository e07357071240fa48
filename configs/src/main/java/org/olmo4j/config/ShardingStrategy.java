package org.olmo4j.config;

import com.fasterxml.jackson.annotation.JsonValue;

/** How the model is sharded over the workers, as OLMo's {@code fsdp.sharding_strategy} (torch's names). */
public enum ShardingStrategy {
  /**
   * ZeRO-2: master weights, AdamW moments and gradients sharded; every worker holds the whole
   * compute copy of the parameters. olmo4j's default.
   */
  SHARD_GRAD_OP("SHARD_GRAD_OP"),
  /**
   * ZeRO-3: parameters sharded too. Each unit (embedding, every block, final norm + LM head) is
   * all-gathered just before its forward and again before its backward, and its gradients are
   * reduce-scattered as soon as its backward is done.
   */
  FULL_SHARD("FULL_SHARD"),
  /** FULL_SHARD inside each group of workers (a node), replicas across the groups. */
  HYBRID_SHARD("HYBRID_SHARD");

  private final String yamlName;

  ShardingStrategy(String yamlName) {
    this.yamlName = yamlName;
  }

  /** The name used in YAML configs. */
  @JsonValue
  public String yamlName() {
    return yamlName;
  }

  /** Whether parameters are sharded (gathered unit by unit for compute). */
  public boolean shardsParameters() {
    return this != SHARD_GRAD_OP;
  }
}
