package org.olmo4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.olmo4j.config.LayerNormType;
import org.olmo4j.config.ModelConfig;

/** OLMo 2 / 3 pieces against the plain-Java reference: logits, and what a window lets a query see. */
class ModelFamiliesTest {

  private static final long[][] IDS = {{3, 12, 0, 7, 7, 1}, {5, 9, 2, 11, 4, 6}};
  private static NDManager root;

  @BeforeAll
  static void start() {
    root = NDManager.newBaseManager();
  }

  @AfterAll
  static void stop() {
    root.close();
  }

  /** Every new piece alone on OLMo 1's tiny model, and OLMo 2 / 3 whole. */
  static Stream<Arguments> pieces() {
    ModelConfig base = TestConfigs.olmo2(2, 4, null);
    return Stream.of(
        Arguments.of("rmsnorm-with-weight", TestConfigs.variant(base, LayerNormType.RMS, true,
            false, false, null, null)),
        Arguments.of("layernorm-with-weight", TestConfigs.variant(base, LayerNormType.DEFAULT,
            true, false, false, null, null)),
        Arguments.of("qk-norm", TestConfigs.variant(base, LayerNormType.DEFAULT, false, true,
            false, null, null)),
        Arguments.of("norm-after", TestConfigs.variant(base, LayerNormType.RMS, true, false,
            true, null, null)),
        Arguments.of("gqa", TestConfigs.variant(base, LayerNormType.DEFAULT, false, false,
            false, 2, null)),
        Arguments.of("window", TestConfigs.variant(base, LayerNormType.DEFAULT, false, false,
            false, null, List.of(3, -1))),
        Arguments.of("olmo2", TestConfigs.olmo2(2, 2, null)),
        Arguments.of("olmo3", TestConfigs.olmo2(3, 2, List.of(3, 3, -1))));
  }

  /** Parameters drawn wide (norm weights around 1), so every weight visibly matters. */
  static double[] randomParams(FlatLayout layout, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] flat = new double[(int) layout.totalElements()];
    for (ParamSpec p : layout.params()) {
      int off = (int) layout.offsetOf(p.name());
      for (int i = 0; i < p.numel(); i++) {
        double z = r.nextGaussian() * 0.3;
        flat[off + i] = p.kind() == ParamSpec.Kind.NORM ? 1 + z : z;
      }
    }
    return flat;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("pieces")
  void logitsMatchThePlainJavaReference(String piece, ModelConfig cfg) {
    for (DataType type : new DataType[] {DataType.FLOAT64, DataType.FLOAT32}) {
      try (OlmoModel m = OlmoModel.create(cfg, root, type); StepScope s = m.newStepScope()) {
        double[] flat = randomParams(m.layout(), 5);
        float[] narrow = new float[flat.length];
        for (int i = 0; i < flat.length; i++) {
          narrow[i] = (float) flat[i];
          flat[i] = narrow[i];
        }
        m.setParams(narrow);
        ReferenceOlmo ref = new ReferenceOlmo(cfg, flat);
        double[] got = m.logits(s.manager().create(IDS)).toType(DataType.FLOAT64, false)
            .toDoubleArray();
        double tol = type == DataType.FLOAT64 ? 1e-6 : 2e-4;  // RoPE tables are fp32, as OLMo's
        int v = cfg.paddedVocabSize();
        for (int b = 0; b < IDS.length; b++) {
          double[][] want = ref.logits(IDS[b]);
          for (int t = 0; t < IDS[b].length; t++) {
            for (int k = 0; k < v; k++) {
              assertEquals(want[t][k], got[(b * IDS[b].length + t) * v + k],
                  tol * Math.max(1, Math.abs(want[t][k])), piece + " " + type + " b" + b + " t" + t);
            }
          }
        }
      }
    }
  }

  @Test
  void aWindowedQuerySeesItselfAndTheWindowBeforeItNothingElse() {
    int window = 3;
    ModelConfig oneLayer = TestConfigs.variant(TestConfigs.olmo2(1, 4, null), LayerNormType.RMS,
        true, true, true, 2, List.of(window));
    assertEquals(window, oneLayer.windowOf(0));
    long[] ids = {3, 12, 0, 7, 7, 1, 9, 4, 2, 11};
    try (OlmoModel m = OlmoModel.create(oneLayer, root, DataType.FLOAT64);
        StepScope s = m.newStepScope()) {
      m.setParams(randomParams(m.layout(), 9));
      double[] base = logits(m, s, ids);
      for (int j = 0; j < ids.length; j++) {
        long[] changed = ids.clone();
        changed[j] = (ids[j] + 5) % 13;
        double[] other = logits(m, s, changed);
        for (int i = 0; i < ids.length; i++) {
          boolean sees = j <= i && j > i - window;
          assertEquals(sees, !samePosition(base, other, i, 16),
              "query " + i + " and key " + j + " (window " + window + ")");
        }
      }
    }
  }

  private static double[] logits(OlmoModel m, StepScope s, long[] ids) {
    NDArray out = m.logits(s.manager().create(new long[][] {ids}));
    return out.toDoubleArray();
  }

  private static boolean samePosition(double[] a, double[] b, int pos, int vocab) {
    for (int v = 0; v < vocab; v++) {
      if (a[pos * vocab + v] != b[pos * vocab + v]) {
        return false;
      }
    }
    return true;
  }
}
