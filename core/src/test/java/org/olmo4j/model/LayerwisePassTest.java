package org.olmo4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.olmo4j.config.ActivationCheckpointing;
import org.olmo4j.config.ModelConfig;
import org.olmo4j.config.Precision;
import org.olmo4j.train.Batch;
import org.olmo4j.train.GradientStep;

/**
 * The unit-by-unit pass (the step of activation checkpointing and FULL_SHARD) against the whole
 * model's graph: same loss, same gradients, whichever blocks are checkpointed.
 */
class LayerwisePassTest {

  private record Run(GradientStep.Result result, float[] grads) {}

  private static Run run(ModelConfig cfg, Precision precision, ActivationCheckpointing ac,
      boolean layerwise, List<Batch> micro) {
    try (NDManager m = NDManager.newBaseManager();
        OlmoModel model = OlmoModel.create(cfg, m, precision)) {
      FlatLayout layout = model.layout();
      model.setParams(Initializer.initialFlat(cfg, layout, 7));
      GradientStep.Result r = layerwise
          ? GradientStep.run(model, micro, 1e-4, 40, ac, LayerwisePass.Units.RESIDENT)
          : GradientStep.run(model, micro, 1e-4, 40);
      float[] g = new float[Math.toIntExact(layout.totalElements())];
      model.readGrads(g);
      return new Run(r, g);
    }
  }

  private static List<Batch> batches(ModelConfig cfg, int count, int b, int t) {
    SplittableRandom rnd = new SplittableRandom(11);
    List<Batch> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      long[] tokens = new long[b * t];
      for (int j = 0; j < tokens.length; j++) {
        tokens[j] = rnd.nextInt(cfg.vocabSize());
      }
      out.add(new Batch(tokens, null, b, t));
    }
    return out;
  }

  private static void assertSameAsWholeGraph(ModelConfig cfg) {
    assertSameAsWholeGraph(cfg, Precision.FP32);
  }

  private static void assertSameAsWholeGraph(ModelConfig cfg, Precision precision) {
    List<Batch> micro = batches(cfg, 2, 2, 12);
    Run whole = run(cfg, precision, null, false, micro);
    for (ActivationCheckpointing ac : new ActivationCheckpointing[] {null,
        ActivationCheckpointing.WHOLE_LAYER, ActivationCheckpointing.ONE_IN_TWO}) {
      Run byUnit = run(cfg, precision, ac, true, micro);
      String what = precision + ", checkpointing " + ac;
      // The same kernels on the same values in the same order: bit for bit. Except a tied
      // embedding's gradient: the head's and the lookup's parts are summed in another order.
      assertEquals(whole.result().ceSum(), byUnit.result().ceSum(), 0, what);
      assertEquals(whole.result().zSum(), byUnit.result().zSum(), 0, what);
      assertEquals(whole.result().tokens(), byUnit.result().tokens(), what);
      int tied = cfg.weightTying() ? Math.toIntExact(cfg.paddedVocabSize() * (long) cfg.dModel()) : 0;
      float scale = 0;
      for (float g : whole.grads()) {
        scale = Math.max(scale, Math.abs(g));
      }
      for (int i = 0; i < whole.grads().length; i++) {
        assertEquals(whole.grads()[i], byUnit.grads()[i], i < tied ? 1e-6f * scale : 0f,
            what + ", element " + i);
      }
    }
  }

  @Test
  void olmo2BlocksByUnitMatchTheWholeGraph() {
    assertSameAsWholeGraph(TestConfigs.olmo2(3, 2, null));
  }

  @Test
  void olmo1WithTiedHeadByUnitMatchesTheWholeGraph() {
    assertSameAsWholeGraph(TestConfigs.tiny(true, 2.0));
  }

  /** amp_bf16: the bf16 module's blocks and head called one by one give its whole forward's bits. */
  @Test
  void bf16ModuleByUnitMatchesTheWholeModule() {
    assertSameAsWholeGraph(TestConfigs.olmo2(3, 2, null), Precision.AMP_BF16);
    assertSameAsWholeGraph(TestConfigs.olmo2(4, 4, List.of(4, 4, 4, -1)), Precision.AMP_BF16);
  }

  @Test
  void olmo3WindowsByUnitMatchTheWholeGraph() {
    assertSameAsWholeGraph(TestConfigs.olmo2(4, 4, List.of(4, 4, 4, -1)));
  }
}
