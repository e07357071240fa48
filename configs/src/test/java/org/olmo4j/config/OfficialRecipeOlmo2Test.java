package org.olmo4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A recipe in the form of AI2's OLMo2-7B-stage1.yaml loads (the OLMo 2 model fields are the lead's). */
class OfficialRecipeOlmo2Test {

  static final String OLMO2_7B = "olmo2-7b-recipe.yaml";

  @Test
  void olmo2RecipeLoadsWithOlmosValues() {
    LoadedConfig loaded = OfficialRecipeTest.load(OfficialRecipeTest.resource(OLMO2_7B), Map.of());
    TrainConfig c = loaded.config();
    assertEquals(new Duration(1, Duration.Unit.EPOCHS), c.maxDuration());
    assertEquals(SchedulerUnits.TOKENS, c.scheduler().units());
    assertEquals(8_388_608_000L, c.scheduler().tWarmup());
    assertEquals(5_000_000_000_000L, c.scheduler().tMax());
    assertEquals(0.0, c.scheduler().warmupMinLr());
    assertEquals(1e-5, c.auxiliaryLossMultiplier());
    assertTrue(c.softmaxAuxiliaryLoss());
    assertEquals(1e-8, c.optimizer().eps());
    assertEquals(2, c.deviceEvalBatchSize());
    assertEquals(0, c.saveNumCheckpointsToKeep());
    ModelConfig m = c.model();
    assertEquals(List.of(4096, 32, 32, 22016), List.of(m.dModel(), m.nHeads(), m.nLayers(),
        m.mlpHiddenSize()));
    assertEquals(LayerNormType.valueOf("RMS"), m.layerNormType());
    assertEquals(c, ConfigLoader.fromYaml(ConfigLoader.toYaml(c), List.of()), "round trip");
    List<String> lines = loaded.ignored().stream().map(IgnoredKey::line).toList();
    assertTrue(lines.contains("ignored fused_loss = true"), lines.toString());
    assertTrue(lines.contains("ignored save_interval_ephemeral = 250"), lines.toString());
    assertTrue(lines.contains("ignored sharded_checkpointer = olmo_core (olmo4j writes its own "
        + "sharded checkpoints)"), lines.toString());
  }
}
