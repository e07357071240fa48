package org.olmo4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.olmo4j.config.ModelConfig;
import org.olmo4j.config.Precision;
import org.olmo4j.io.Bf16;

/**
 * amp_bf16 against the fp64 model: loss close, and every parameter's gradient close in
 * direction (cosine ≥ 0.999) and size (relative error ≤ 2e-2), for each architecture piece.
 */
class Bf16ComputeTest {

  private static NDManager root;

  @BeforeAll
  static void start() {
    root = NDManager.newBaseManager();
  }

  @AfterAll
  static void stop() {
    root.close();
  }

  /** Token ids of a few sequences of length 16 below the tiny vocab of 13. */
  static long[][] ids(int batch, int length) {
    SplittableRandom r = new SplittableRandom(3);
    long[][] out = new long[batch][length];
    for (long[] row : out) {
      for (int i = 0; i < length; i++) {
        row[i] = r.nextInt(13);
      }
    }
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("org.olmo4j.model.ModelFamiliesTest#pieces")
  void gradientsMatchTheFp64Model(String piece, ModelConfig tiny) {
    ModelConfig cfg = widened(tiny);
    long[][] ids = ids(8, 32);
    FlatLayout layout = FlatLayout.of(cfg);
    // As training hands them over: the parameters bf16-rounded by the all-gather.
    // OLMo's initialisation, with norm weights moved off 1 so that they matter.
    float[] narrow = Initializer.initialFlat(cfg, layout, 11);
    double[] flat = new double[narrow.length];
    SplittableRandom r = new SplittableRandom(5);
    for (ParamSpec p : layout.params()) {
      int off = (int) layout.offsetOf(p.name());
      for (int i = off; i < off + p.numel(); i++) {
        float v = p.kind() == ParamSpec.Kind.NORM ? (float) (1 + 0.2 * r.nextGaussian()) : narrow[i];
        narrow[i] = Bf16.round(v);
        flat[i] = narrow[i];
      }
    }
    double[] want = new double[flat.length];
    double wantLoss;
    try (OlmoModel m = OlmoModel.create(cfg, root, DataType.FLOAT64)) {
      m.setParams(flat);
      wantLoss = backward(m, ids);
      m.readGrads(want);
    }
    float[] got = new float[flat.length];
    double gotLoss;
    try (OlmoModel m = OlmoModel.create(cfg, root, Precision.AMP_BF16)) {
      m.setParams(narrow);
      gotLoss = backward(m, ids);
      m.readGrads(got);
    }
    assertEquals(wantLoss, gotLoss, 2e-2 * wantLoss, piece + " loss");
    double worstCos = 1;
    double worstRel = 0;
    for (ParamSpec p : layout.params()) {
      int off = (int) layout.offsetOf(p.name());
      double dot = 0;
      double ww = 0;
      double gg = 0;
      double diff = 0;
      for (int i = off; i < off + p.numel(); i++) {
        dot += want[i] * got[i];
        ww += want[i] * want[i];
        gg += (double) got[i] * got[i];
        diff += (want[i] - got[i]) * (want[i] - got[i]);
      }
      double cos = dot / Math.sqrt(ww * gg);
      double rel = Math.sqrt(diff / ww);
      worstCos = Math.min(worstCos, cos);
      worstRel = Math.max(worstRel, rel);
      assertTrue(cos >= 0.999, piece + " " + p.name() + ": cosine " + cos);
      assertTrue(rel <= 2e-2, piece + " " + p.name() + ": relative error " + rel);
    }
    System.out.printf("bf16 vs fp64 %s: loss %.6f vs %.6f, worst cosine %.6f, worst relative "
        + "error %.2e%n", piece, gotLoss, wantLoss, worstCos, worstRel);
  }

  /**
   * The piece at head_dim 16, d_model 64 and windows 4× as wide at 32 tokens: bf16's rounding
   * averages over more than 4 lanes and 3 keys, as it does in any real model.
   */
  static ModelConfig widened(ModelConfig c) {
    ModelConfig.SlidingWindowConfig windows = c.slidingWindow() == null ? null
        : new ModelConfig.SlidingWindowConfig(c.slidingWindow().pattern().stream()
            .map(w -> w > 0 ? 4 * w : w).toList(), c.slidingWindow().forceFullAttentionOnFirstLayer(),
            c.slidingWindow().forceFullAttentionOnLastLayer());
    return new ModelConfig(64, 4, c.nLayers(), 8, 256, c.vocabSize(), c.embeddingSize(), 32,
        c.ropeTheta(), c.weightTying(), c.initFn(), c.initStd(), c.initCutoffFactor(),
        c.layerNormType(), c.layerNormWithAffine(), c.includeBias(), c.clipQkv(), c.eosTokenId(),
        c.padTokenId(), c.nKvHeads(), c.layerNormEps(), c.attentionLayerNorm(),
        c.attentionLayerNormWithAffine(), c.normAfter(), windows);
  }

  private static double backward(OlmoModel m, long[][] ids) {
    m.zeroGrads();
    try (StepScope s = m.newStepScope();
        GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      LossTerms t = m.lossTerms(s.manager().create(ids), null, true);
      NDArray loss = t.ceSum().add(t.zSum().mul(1e-4)).div(t.tokens());
      gc.backward(loss);
      return loss.toType(DataType.FLOAT64, false).getDouble();
    }
  }
}
