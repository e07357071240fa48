package org.olmo4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RopeTest {

  @Test
  void queryKeyProductDependsOnlyOnTheOffset() {
    int hd = 16;
    int t = 12;
    try (NDManager m = NDManager.newBaseManager()) {
      Rope rope = new Rope(hd, 10000.0, 1.0, m, DataType.FLOAT64);
      Rope.Tables tab = rope.tables(t);
      SplittableRandom r = new SplittableRandom(5);
      double[] q = new double[hd];
      double[] k = new double[hd];
      for (int i = 0; i < hd; i++) {
        q[i] = r.nextGaussian();
        k[i] = r.nextGaussian();
      }
      // the same q and k vectors at every position
      NDArray qs = m.create(q).reshape(1, hd).repeat(0, t);
      NDArray ks = m.create(k).reshape(1, hd).repeat(0, t);
      NDArray scores = Rope.apply(qs, tab.cos(), tab.sin())
          .matMul(Rope.apply(ks, tab.cos(), tab.sin()).transpose());
      for (int offset = 0; offset < 4; offset++) {
        double first = scores.getDouble(offset, 0);
        for (int j = 1; j + offset < t; j++) {
          assertEquals(first, scores.getDouble(j + offset, j), 1e-5, "offset " + offset);
        }
      }
      // position 0 is the identity; rotation preserves the norm (up to the fp32 tables)
      NDArray rotated = Rope.apply(qs, tab.cos(), tab.sin());
      NDArray row0 = rotated.get(new NDIndex("0"));
      for (int i = 0; i < hd; i++) {
        assertEquals(q[i], row0.getDouble(i), 1e-12);
      }
      double n0 = qs.get(new NDIndex("5")).square().sum().getDouble();
      assertEquals(n0, rotated.get(new NDIndex("5")).square().sum().getDouble(), 1e-6 * n0);
      assertEquals(new Shape(t, hd), rotated.getShape());
    }
  }
}
