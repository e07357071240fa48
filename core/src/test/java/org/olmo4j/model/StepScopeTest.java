package org.olmo4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.olmo4j.config.ModelConfig;

class StepScopeTest {

  private static long[][] batch(SplittableRandom r, int b, int t, int vocab) {
    long[][] ids = new long[b][t];
    for (long[] row : ids) {
      for (int i = 0; i < t; i++) {
        row[i] = r.nextInt(vocab);
      }
    }
    return ids;
  }

  private static void trainStep(OlmoModel m, long[][] ids, float[] grads) {
    try (StepScope s = m.newStepScope();
        GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      LossTerms t = m.lossTerms(s.manager().create(ids), null, true);
      gc.backward(t.ceSum().add(t.zSum().mul(1e-4)).div(t.tokens()));
    }
    m.readGrads(grads);
    m.zeroGrads();
  }

  @Test
  void intermediatesAreFreedAndParametersReturnToTheModel() {
    ModelConfig cfg = TestConfigs.tiny(false, null);
    try (NDManager root = NDManager.newBaseManager();
        OlmoModel m = OlmoModel.create(cfg, root, DataType.FLOAT32)) {
      m.setParams(Initializer.initialFlat(cfg, m.layout(), 1));
      NDManager modelManager = m.param("lm_head.weight").getManager();
      float[] grads = new float[(int) m.layout().totalElements()];
      SplittableRandom r = new SplittableRandom(2);
      trainStep(m, batch(r, 2, 8, 13), grads);  // builds the per-length caches
      int arrays = root.getManagedArrays().size();
      NDManager stepManager;
      try (StepScope s = m.newStepScope()) {
        stepManager = s.manager();
        assertSame(stepManager, m.param("lm_head.weight").getManager());
        m.logits(s.manager().create(batch(r, 2, 8, 13)));
        assertTrue(stepManager.getManagedArrays().size() > 50);
      }
      assertFalse(stepManager.isOpen());
      for (ParamSpec p : m.layout().params()) {
        assertSame(modelManager, m.param(p.name()).getManager(), p.name());
      }
      for (int i = 0; i < 10; i++) {
        trainStep(m, batch(r, 2, 8, 13), grads);
      }
      assertEquals(arrays, root.getManagedArrays().size());
    }
  }

  @Test
  void nativeMemoryStaysFlatOverManySteps() throws IOException {
    // Each step allocates tens of MB (logits and their gradients over a 4096 vocab), so a
    // leak of the step's intermediates would add hundreds of MB over 30 steps.
    ModelConfig cfg = TestConfigs.sized(64, 4, 2, 4096, 64, true);
    try (NDManager root = NDManager.newBaseManager();
        OlmoModel m = OlmoModel.create(cfg, root, DataType.FLOAT32)) {
      m.setParams(Initializer.initialFlat(cfg, m.layout(), 1));
      float[] grads = new float[(int) m.layout().totalElements()];
      SplittableRandom r = new SplittableRandom(2);
      for (int i = 0; i < 5; i++) {
        trainStep(m, batch(r, 4, 64, 4096), grads);
      }
      long before = rssBytes();
      for (int i = 0; i < 30; i++) {
        trainStep(m, batch(r, 4, 64, 4096), grads);
      }
      long grown = rssBytes() - before;
      assertTrue(grown < 64L << 20, "RSS grew by " + (grown >> 20) + " MB over 30 steps");
    }
  }

  private static long rssBytes() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
      }
    }
    throw new IOException("no VmRSS in /proc/self/status");
  }

  @Test
  void gradientsOfTheStepSurviveTheScope() {
    ModelConfig cfg = TestConfigs.tiny(true, null);
    try (NDManager root = NDManager.newBaseManager();
        OlmoModel m = OlmoModel.create(cfg, root, DataType.FLOAT32)) {
      m.setParams(Initializer.initialFlat(cfg, m.layout(), 1));
      try (StepScope s = m.newStepScope();
          GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        LossTerms t = m.lossTerms(s.manager().create(batch(new SplittableRandom(1), 1, 6, 13)),
            null, false);
        gc.backward(t.ceSum());
      }
      NDArray g = m.param("model.embed_tokens.weight").getGradient();
      assertTrue(g.abs().sum().getFloat() > 0);
      g.close();
    }
  }
}
