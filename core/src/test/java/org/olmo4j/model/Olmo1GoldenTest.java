package org.olmo4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.olmo4j.config.ModelConfig;

/**
 * OLMo 1 stays bit for bit what it was before the architecture definition moved into
 * {@link Architecture}: the same initial parameters, loss and gradients for the same seed
 * (values recorded from the code as of commit c0fda67).
 */
class Olmo1GoldenTest {

  private static final long[][] IDS = {{3, 12, 0, 7, 7, 1}, {5, 9, 2, 11, 4, 6}};

  @Test
  void initLossAndGradientsAreUnchanged() throws Exception {
    for (boolean tied : new boolean[] {true, false}) {
      ModelConfig cfg = TestConfigs.tiny(tied, null);
      try (NDManager root = NDManager.newBaseManager();
          OlmoModel m = OlmoModel.create(cfg, root, DataType.FLOAT32)) {
        float[] init = Initializer.initialFlat(cfg, m.layout(), 1234);
        m.setParams(init);
        double loss;
        try (StepScope s = m.newStepScope();
            GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          LossTerms t = m.lossTerms(s.manager().create(IDS), null, true);
          var l = t.ceSum().add(t.zSum().mul(1e-4)).div(t.tokens());
          loss = l.toType(DataType.FLOAT64, false).getDouble();
          gc.backward(l);
        }
        float[] grads = new float[init.length];
        m.readGrads(grads);
        String got = sha(init) + " " + Double.doubleToLongBits(loss) + " " + sha(grads);
        assertEquals(tied ? "bc57c85b49ad6704 4614734229045295563 66e622a95784404a"
            : "998570dae9209864 4615435439455737542 1487802778f7fe6a", got, "tied=" + tied);
      }
    }
  }

  static String sha(float[] values) throws Exception {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4);
    for (float v : values) {
      b.putInt(Float.floatToIntBits(v));
    }
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.array()))
        .substring(0, 16);
  }
}
