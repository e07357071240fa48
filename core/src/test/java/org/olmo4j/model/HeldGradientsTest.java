package org.olmo4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import org.junit.jupiter.api.Test;

/**
 * A FULL_SHARD unit's gradients held where autograd wrote them: the values a copy gives, in flat
 * order, still there after the unit is unbound and its step scope closed (a reduce-scatter reads
 * them on another thread meanwhile), and let go when the holder is closed.
 */
class HeldGradientsTest {

  @Test
  void heldGradientsOutliveTheUnitAndItsScope() {
    Architecture arch = Architecture.of(TestConfigs.tiny(false, null));
    int u = 1; // block 0: several parameters, each its own gradient tensor
    long length = arch.units().get(u).range().length();
    try (NDManager base = NDManager.newBaseManager(); // loads the engine
        UnitParams params = new UnitParams(arch)) {
      boolean before = JniUtils.isGradMode();
      JniUtils.setGradMode(true);
      try {
        heldGradientsOutlive(params, base, u, length);
      } finally {
        JniUtils.setGradMode(before);
      }
    }
  }

  private static void heldGradientsOutlive(UnitParams params, NDManager base, int u,
      long length) {
    {
      FlatVector values = params.vector(u);
      float[] v = new float[(int) length];
      for (int i = 0; i < v.length; i++) {
        v[i] = (i % 13) * 0.25f - 1f;
      }
      values.put(0, v, 0, v.length);
      NDManager step = base.newSubManager();
      params.bind(u, values, step);
      // d/dp Σ p³ = 3p², different for every element: a misplaced or stale byte shows.
      NDArray loss = null;
      for (NDArray a : params.arrays()) {
        NDArray term = a.pow(3).sum();
        loss = loss == null ? term : loss.add(term);
      }
      JniUtils.backward((PtNDArray) loss, (PtNDArray) loss.onesLike(), false, false);
      FlatVector copied = FlatVector.fp32(length);
      params.takeGrads(u, copied);
      HeldGradients held = params.holdGrads(u);
      assertEquals(length, held.vector().length());
      params.unbind(u);
      step.close(); // the micro-batch's scope ends while a reduction may still read them
      assertFalse(held.released(), "the gradients outlive the unit's arrays and the step's scope");
      try (NDManager other = base.newSubManager()) {
        other.ones(new Shape(length)).mul(7); // memory freed would likely be reused here
        float[] expected = copied.toFloatArray();
        assertArrayEquals(expected, held.vector().toFloatArray());
        for (int i = 0; i < 40; i++) {
          assertEquals(3 * v[i] * v[i], expected[i], 1e-6);
        }
      }
      long live = VectorMemory.liveBytes();
      held.close();
      assertEquals(live - 4 * length, VectorMemory.liveBytes(), "the held bytes are let go");
      assertTrue(held.released());
      copied.close();
    }
  }
}
