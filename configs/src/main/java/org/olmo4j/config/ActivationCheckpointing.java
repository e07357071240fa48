package org.olmo4j.config;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * OLMo's {@code activation_checkpointing}: which blocks keep only their input in the forward and
 * recompute their activations in the backward ({@code block_idx % k == 0} for one_in_k, as OLMo).
 */
public enum ActivationCheckpointing {
  WHOLE_LAYER("whole_layer", 1),
  ONE_IN_TWO("one_in_two", 2),
  ONE_IN_THREE("one_in_three", 3),
  ONE_IN_FOUR("one_in_four", 4),
  ONE_IN_EIGHT("one_in_eight", 8);

  private final String yamlName;
  private final int every;

  ActivationCheckpointing(String yamlName, int every) {
    this.yamlName = yamlName;
    this.every = every;
  }

  /** The name used in YAML configs. */
  @JsonValue
  public String yamlName() {
    return yamlName;
  }

  /** Whether block {@code blockIndex} (0-based) is checkpointed; {@code strategy} null: none is. */
  public static boolean checkpoints(ActivationCheckpointing strategy, int blockIndex) {
    return strategy != null && blockIndex % strategy.every == 0;
  }
}
