package org.olmo4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.olmo4j.config.ModelConfig;

class OlmoModelTest {

  private static NDManager root;

  @BeforeAll
  static void start() {
    root = NDManager.newBaseManager();
  }

  @AfterAll
  static void stop() {
    root.close();
  }

  static double[] widen(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  static OlmoModel initialised(ModelConfig cfg, DataType dtype, long seed) {
    OlmoModel m = OlmoModel.create(cfg, root, dtype);
    m.setParams(Initializer.initialFlat(cfg, m.layout(), seed));
    return m;
  }

  private static final long[][] IDS = {{3, 12, 0, 7, 7, 1}, {5, 9, 2, 11, 4, 6}};

  @ParameterizedTest
  @CsvSource({"true,,FLOAT64,1e-6", "false,,FLOAT64,1e-6", "false,0.3,FLOAT64,1e-6",
      "true,,FLOAT32,2e-4"})
  void logitsMatchAPlainJavaReference(boolean tied, Double clip, String type, double tol) {
    ModelConfig cfg = TestConfigs.tiny(tied, clip);
    try (OlmoModel m = initialised(cfg, DataType.valueOf(type), 11);
        StepScope s = m.newStepScope()) {
      float[] flat = new float[(int) m.layout().totalElements()];
      m.readParams(flat);
      ReferenceOlmo ref = new ReferenceOlmo(cfg, widen(flat));
      NDArray logits = m.logits(s.manager().create(IDS));
      assertEquals(new Shape(2, 6, 16), logits.getShape());
      double[] got = logits.toType(DataType.FLOAT64, false).toDoubleArray();
      for (int b = 0; b < 2; b++) {
        double[][] want = ref.logits(IDS[b]);
        for (int t = 0; t < 6; t++) {
          for (int v = 0; v < 16; v++) {
            assertEquals(want[t][v], got[(b * 6 + t) * 16 + v], tol, "b" + b + " t" + t + " v" + v);
          }
        }
      }
    }
  }

  @Test
  void logitsAreCausal() {
    try (OlmoModel m = initialised(TestConfigs.tiny(false, null), DataType.FLOAT32, 3);
        StepScope s = m.newStepScope()) {
      long[][] changed = {IDS[0].clone()};
      changed[0][3] = 10;
      float[] a = m.logits(s.manager().create(new long[][] {IDS[0]})).toFloatArray();
      float[] b = m.logits(s.manager().create(changed)).toFloatArray();
      for (int t = 0; t < 6; t++) {
        boolean same = true;
        for (int v = 0; v < 16; v++) {
          same &= a[t * 16 + v] == b[t * 16 + v];
        }
        assertEquals(t < 3, same, "position " + t);
      }
    }
  }

  @Test
  void untiedHeadIsUsedAndTiedHeadIsTheEmbedding() {
    ModelConfig untied = TestConfigs.tiny(false, null);
    try (OlmoModel m = initialised(untied, DataType.FLOAT32, 5); StepScope s = m.newStepScope()) {
      float[] before = m.logits(s.manager().create(IDS)).toFloatArray();
      float[] flat = new float[(int) m.layout().totalElements()];
      m.readParams(flat);
      flat[(int) m.layout().offsetOf("lm_head.weight") + 3 * 8] += 1f;  // row 3 of the head
      m.setParams(flat);
      float[] after = m.logits(s.manager().create(IDS)).toFloatArray();
      for (int i = 0; i < before.length; i++) {
        assertEquals(i % 16 == 3, before[i] != after[i], "logit " + i);
      }
    }
    ModelConfig tied = TestConfigs.tiny(true, null);
    try (OlmoModel m = initialised(tied, DataType.FLOAT32, 5)) {
      assertThrows(IllegalArgumentException.class, () -> m.param("lm_head.weight"));
      assertEquals(15, m.layout().params().size());
    }
  }

  @Test
  void paramsRoundTripInBothPrecisions() {
    ModelConfig cfg = TestConfigs.tiny(false, null);
    for (DataType t : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
      try (OlmoModel m = OlmoModel.create(cfg, root, t)) {
        float[] init = Initializer.initialFlat(cfg, m.layout(), 9);
        m.setParams(init);
        float[] back = new float[init.length];
        m.readParams(back);
        assertArrayEquals(init, back);
        assertEquals(t, m.param("model.layers.1.mlp.down_proj.weight").getDataType());
        assertTrue(m.param("model.embed_tokens.weight").hasGradient());
      }
    }
  }

  @Test
  void lossTermsMatchReferenceCrossEntropyAndZLoss() {
    ModelConfig cfg = TestConfigs.tiny(false, null);
    boolean[][] mask = {{true, true, false, true, true, true}, {true, true, true, true, true, false}};
    try (OlmoModel m = initialised(cfg, DataType.FLOAT64, 21); StepScope s = m.newStepScope()) {
      float[] flat = new float[(int) m.layout().totalElements()];
      m.readParams(flat);
      ReferenceOlmo ref = new ReferenceOlmo(cfg, widen(flat));
      double ce = 0;
      double z = 0;
      for (int b = 0; b < 2; b++) {
        double[][] logits = ref.logits(IDS[b]);
        for (int t = 0; t < 5; t++) {
          if (!mask[b][t + 1]) {
            continue;
          }
          double max = Double.NEGATIVE_INFINITY;
          for (double v : logits[t]) {
            max = Math.max(max, v);
          }
          double sum = 0;
          for (double v : logits[t]) {
            sum += Math.exp(v - max);
          }
          double lse = max + Math.log(sum);
          ce += lse - logits[t][(int) IDS[b][t + 1]];
          z += lse * lse;
        }
      }
      NDArray ids = s.manager().create(IDS);
      LossTerms terms = m.lossTerms(ids, s.manager().create(mask), true);
      assertEquals(8, terms.tokens());
      assertEquals(ce, terms.ceSum().getDouble(), 1e-6);
      assertEquals(z, terms.zSum().getDouble(), 1e-6);
      LossTerms floatMask = m.lossTerms(ids, s.manager().create(mask).toType(DataType.FLOAT32,
          false), false);
      assertEquals(8, floatMask.tokens());
      assertEquals(ce, floatMask.ceSum().getDouble(), 1e-6);
      assertNull(floatMask.zSum());
      assertEquals(10, m.lossTerms(ids, null, false).tokens());
    }
  }

  @Test
  void gradientsAccumulateAndZero() {
    ModelConfig cfg = TestConfigs.tiny(true, null);
    try (OlmoModel m = initialised(cfg, DataType.FLOAT32, 4)) {
      float[] g1 = new float[(int) m.layout().totalElements()];
      m.readGrads(g1);
      assertEquals(0, maxAbs(g1));
      backwardOnce(m);
      m.readGrads(g1);
      assertTrue(maxAbs(g1) > 0);
      backwardOnce(m);
      float[] g2 = new float[g1.length];
      m.readGrads(g2);
      for (int i = 0; i < g1.length; i++) {
        assertEquals(2 * g1[i], g2[i], 1e-5 + 1e-5 * Math.abs(g1[i]));
      }
      m.zeroGrads();
      m.readGrads(g2);
      assertEquals(0, maxAbs(g2));
    }
  }

  static void backwardOnce(OlmoModel m) {
    try (StepScope s = m.newStepScope();
        GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      LossTerms t = m.lossTerms(s.manager().create(IDS), null, true);
      gc.backward(t.ceSum().add(t.zSum().mul(1e-4)).div(t.tokens()));
    }
  }

  private static float maxAbs(float[] a) {
    float m = 0;
    for (float v : a) {
      m = Math.max(m, Math.abs(v));
    }
    return m;
  }

  @Test
  void misuseIsReportedClearly() {
    try (OlmoModel m = initialised(TestConfigs.tiny(true, null), DataType.FLOAT32, 1)) {
      NDArray ids = root.create(IDS);
      assertThrows(IllegalStateException.class, () -> m.logits(ids));
      try (StepScope s = m.newStepScope()) {
        assertThrows(IllegalStateException.class, m::newStepScope);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> m.logits(ids.toType(DataType.INT32, false)));
        assertTrue(e.getMessage().contains("INT64"), e.getMessage());
        NDArray tooLong = s.manager().zeros(new Shape(1, 17), DataType.INT64);
        assertThrows(IllegalArgumentException.class, () -> m.logits(tooLong));
        // ids owned elsewhere: results still land in the step, not in the ids' manager
        int before = root.getManagedArrays().size();
        NDArray logits = m.logits(ids);
        assertEquals(s.manager(), logits.getManager());
        assertNotEquals(0, before);
      }
      assertThrows(IllegalArgumentException.class, () -> m.setParams(new float[3]));
      ids.close();
    }
  }
}
