package org.olmo4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The recipes shipped in {@code configs/} load, validate for training and carry OLMo's values. */
class ShippedConfigsTest {

  private static TrainConfig load(String file) {
    TrainConfig c = ConfigLoader.load(Path.of(file), List.of());
    ConfigLoader.validateForTraining(c);
    assertEquals(c, ConfigLoader.fromYaml(ConfigLoader.toYaml(c), List.of()), file + " round trip");
    return c;
  }

  @Test
  void olmo1b() {
    TrainConfig c = load("OLMo-1B.yaml");
    assertEquals("OLMo-1B", c.runName());
    assertEquals("runs/OLMo-1B", c.saveFolder());
    assertEquals(new Duration(739_328, Duration.Unit.STEPS), c.maxDuration());
    assertEquals(2048, c.globalTrainBatchSize());
    assertEquals(8, c.deviceTrainMicrobatchSize());
    assertEquals(Precision.AMP_BF16, c.precision());
    ModelConfig m = c.model();
    assertEquals(List.of(2048, 16, 16, 8), List.of(m.dModel(), m.nHeads(), m.nLayers(), m.mlpRatio()));
    assertNull(m.mlpHiddenSize());
    assertEquals(16384, m.ffProjSize());
    assertEquals(128, m.headDim());
    assertTrue(m.weightTying());
    assertEquals(InitFn.MITCHELL, m.initFn());
    assertEquals(50280, m.vocabSize());
    assertEquals(50304, m.paddedVocabSize());
    assertEquals(50279, m.eosTokenId());
    assertEquals(1, m.padTokenId());
    assertFalse(m.layerNormWithAffine());
    assertFalse(m.includeBias());
    assertEquals(10000.0, m.ropeTheta());
    assertEquals(4.0e-4, c.optimizer().learningRate());
    assertEquals(0.1, c.optimizer().weightDecay());
    assertEquals(List.of(0.9, 0.95), c.optimizer().betas());
    assertEquals(SchedulerName.COSINE_WITH_WARMUP, c.scheduler().name());
    assertEquals(2000, c.scheduler().tWarmup());
    assertEquals(0.1, c.scheduler().alphaF());
    assertEquals(List.of("embedded:train"), c.data().paths());
  }

  @Test
  void olmo7b() {
    TrainConfig c = load("OLMo-7B.yaml");
    assertEquals("OLMo-7B", c.runName());
    assertEquals("runs/OLMo-7B", c.saveFolder());
    assertEquals(new Duration(2_000_000_000_000L, Duration.Unit.TOKENS), c.maxDuration());
    assertEquals(2, c.deviceTrainMicrobatchSize());
    ModelConfig m = c.model();
    assertEquals(List.of(4096, 32, 32), List.of(m.dModel(), m.nHeads(), m.nLayers()));
    assertEquals(22016, m.ffProjSize());
    assertEquals(11008, m.ffHiddenSize());
    assertFalse(m.weightTying());
    assertEquals(3.0e-4, c.optimizer().learningRate());
    assertEquals(SchedulerName.LINEAR_WITH_WARMUP, c.scheduler().name());
    assertEquals(5000, c.scheduler().tWarmup());
    assertEquals(1000, c.scheduler().gradClipWarmupSteps());
    assertEquals(10.0, c.scheduler().gradClipWarmupFactor());
    assertEquals(-1, c.saveNumCheckpointsToKeep());
  }

  @Test
  void olmoTiny() {
    TrainConfig c = load("olmo-tiny.yaml");
    assertEquals("olmo-tiny", c.runName());
    assertEquals("runs/olmo-tiny", c.saveFolder());
    assertEquals(6198, c.seed());
    assertEquals(new Duration(300, Duration.Unit.STEPS), c.maxDuration());
    assertEquals(16, c.globalTrainBatchSize());
    assertEquals(8, c.deviceTrainMicrobatchSize());
    assertEquals(Precision.FP32, c.precision());
    assertEquals(1.0, c.maxGradNorm());
    assertEquals(100, c.saveInterval());
    assertEquals(2, c.saveNumCheckpointsToKeep());
    assertEquals(100, c.evalInterval());
    assertEquals(List.of("heldout", "next_sentence", "last_word"),
        c.evaluators().stream().map(EvaluatorConfig::label).toList());
    assertEquals(List.of("embedded:heldout"), c.evaluators().get(0).data().datasets().get("books-sotu"));
    assertEquals(DownstreamMetric.LEN_NORM, c.evaluators().get(1).metric());
    ModelConfig m = c.model();
    assertEquals(List.of(256, 4, 4, 8, 256),
        List.of(m.dModel(), m.nHeads(), m.nLayers(), m.mlpRatio(), m.maxSequenceLength()));
    assertEquals(InitFn.MITCHELL, m.initFn());
    assertTrue(m.weightTying());
    assertEquals(50304, m.paddedVocabSize());
    assertEquals(1.0e-3, c.optimizer().learningRate());
    assertEquals(SchedulerName.COSINE_WITH_WARMUP, c.scheduler().name());
    assertEquals(20, c.scheduler().tWarmup());
    assertEquals(16L * 256, c.tokensPerStep());
    assertEquals(List.of("embedded:train"), c.data().paths());
  }

  @Test
  void olmo2And3RecipesCarryTheirArchitectureKeys() {
    for (String file : List.of("OLMo-2-1B.yaml", "OLMo-2-7B.yaml", "OLMo-3-7B.yaml",
        "olmo2-tiny.yaml", "olmo3-tiny.yaml")) {
      ModelConfig m = load(file).model();
      assertEquals(LayerNormType.RMS, m.layerNormType(), file);
      assertTrue(m.layerNormWithAffine() && m.attentionLayerNorm() && m.normAfter(), file);
      assertEquals(1e-6, m.layerNormEps(), file);
      assertFalse(m.weightTying(), file);
      assertEquals(InitFn.NORMAL, m.initFn(), file);
      assertEquals(3.0, m.initCutoffFactor(), file);
      assertEquals(file.contains("3"), m.slidingWindow() != null, file);
    }
    ModelConfig olmo2 = load("OLMo-2-1B.yaml").model();
    assertEquals(List.of(2048, 16, 16, 8192, 100278, 100352), List.of(olmo2.dModel(),
        olmo2.nHeads(), olmo2.nLayers(), olmo2.ffHiddenSize(), olmo2.vocabSize(),
        olmo2.paddedVocabSize()));
    ModelConfig olmo3 = load("OLMo-3-7B.yaml").model();
    assertEquals(8192, olmo3.maxSequenceLength());
    assertEquals(11008, olmo3.ffHiddenSize());
    int[] windows = new int[32];
    for (int i = 0; i < 32; i++) {
      windows[i] = olmo3.windowOf(i);
    }
    assertEquals(List.of(4096, 4096, 4096, -1, 4096, 4096, 4096, -1),
        java.util.Arrays.stream(windows).limit(8).boxed().toList());
    assertEquals(4096, windows[30]);
    assertEquals(-1, windows[31]);
    ModelConfig tiny3 = load("olmo3-tiny.yaml").model();
    assertEquals(2, tiny3.kvHeads());
    assertEquals(List.of(64, 64, 64, -1), List.of(tiny3.windowOf(0), tiny3.windowOf(1),
        tiny3.windowOf(2), tiny3.windowOf(3)));
  }
}
