package org.olmo4j.model;

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
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.olmo4j.config.ModelConfig;

/** Autograd gradients of the full training loss against central differences, in fp64. */
class GradientCheckTest {

  private static final long[][] IDS = {{3, 12, 0, 7, 7}, {5, 9, 2, 11, 4}};
  private static final boolean[][] MASK = {{true, true, false, true, true},
      {true, true, true, true, false}};
  private static final double Z_MULT = 0.1;
  private static final double H = 1e-5;

  private static NDManager root;

  @BeforeAll
  static void start() {
    root = NDManager.newBaseManager();
  }

  @AfterAll
  static void stop() {
    root.close();
  }

  @ParameterizedTest(name = "tied={0} clip_qkv={1}")
  @CsvSource({"true, 100.0", "false, 100.0", "false, 0.2"})
  void autogradMatchesCentralDifferences(boolean tied, Double clip) {
    ModelConfig cfg = TestConfigs.tiny(tied, clip);
    check(cfg, OlmoModelTest.widen(Initializer.initialFlat(cfg, FlatLayout.of(cfg), 17)));
  }

  /** RMSNorm / LayerNorm with weight, QK-norm, norm-after, GQA, windows; OLMo 2 and 3 whole. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("org.olmo4j.model.ModelFamiliesTest#pieces")
  void newPiecesMatchCentralDifferences(String piece, ModelConfig cfg) {
    check(cfg, ModelFamiliesTest.randomParams(FlatLayout.of(cfg), 17));
  }

  private static void check(ModelConfig cfg, double[] flat) {
    double worst = 0;
    try (OlmoModel m = OlmoModel.create(cfg, root, DataType.FLOAT64)) {
      m.setParams(flat);
      m.zeroGrads();
      try (StepScope s = m.newStepScope();
          GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        gc.backward(loss(m, s));
      }
      double[] grad = new double[flat.length];
      m.readGrads(grad);

      SplittableRandom pick = new SplittableRandom(3);
      int checked = 0;
      for (ParamSpec p : m.layout().params()) {
        int off = (int) m.layout().offsetOf(p.name());
        for (int k = 0; k < 4; k++) {
          int i = off + pick.nextInt((int) p.numel());
          double saved = flat[i];
          flat[i] = saved + H;
          double up = lossValue(m, flat);
          flat[i] = saved - H;
          double down = lossValue(m, flat);
          flat[i] = saved;
          double numeric = (up - down) / (2 * H);
          double err = Math.abs(grad[i] - numeric);
          worst = Math.max(worst, err / Math.max(Math.max(Math.abs(grad[i]), Math.abs(numeric)),
              1e-12));
          assertTrue(err <= 1e-5 * Math.max(Math.abs(grad[i]), Math.abs(numeric)) + 1e-9,
              p.name() + "[" + (i - off) + "]: autograd " + grad[i] + " vs numeric " + numeric);
          checked++;
        }
      }
      assertTrue(checked == 4 * m.layout().params().size());
    }
    System.out.printf("gradient check %s: worst relative error %.2e%n", describe(cfg), worst);
  }

  private static String describe(ModelConfig c) {
    return c.layerNormType().yamlName() + (c.layerNormWithAffine() ? "+weight" : "")
        + (c.attentionLayerNorm() ? " qk-norm" : "") + (c.normAfter() ? " norm-after" : "")
        + " kv=" + c.kvHeads() + "/" + c.nHeads()
        + (c.slidingWindow() != null ? " window=" + c.slidingWindow().pattern() : "");
  }

  private static NDArray loss(OlmoModel m, StepScope s) {
    NDManager sm = s.manager();
    LossTerms t = m.lossTerms(sm.create(IDS), sm.create(MASK), true);
    return t.ceSum().add(t.zSum().mul(Z_MULT)).div(t.tokens());
  }

  private static double lossValue(OlmoModel m, double[] flat) {
    m.setParams(flat);
    try (StepScope s = m.newStepScope()) {
      return loss(m, s).getDouble();
    }
  }
}
