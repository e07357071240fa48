package org.olmo4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.function.BinaryOperator;
import org.olmo4j.model.Bf16Matmul;

/** Measures the engine's fp32 and bf16 matmul FLOP/s: the references for MFU, taken in the same run. */
public final class PeakFlops {

  private PeakFlops() {}

  /**
   * Best FLOP/s of {@code n×n·n×n} fp32 matmuls over a few timed repetitions (after warm-up).
   *
   * @param seconds approximate time budget for the timed part
   */
  public static double measureMatmul(NDManager parent, int n, double seconds) {
    return best(parent, n, seconds, NDArray::matMul);
  }

  /** As {@link #measureMatmul} with bf16 operands (libtorch through {@link Bf16Matmul}). */
  public static double measureBf16Matmul(NDManager parent, int n, double seconds) {
    try (NDManager m = parent.newSubManager(); Bf16Matmul product = new Bf16Matmul(m)) {
      return best(m, n, seconds, product::apply);
    }
  }

  private static double best(NDManager parent, int n, double seconds,
      BinaryOperator<NDArray> product) {
    try (NDManager m = parent.newSubManager()) {
      NDArray a = m.randomNormal(new Shape(n, n), DataType.FLOAT32);
      NDArray b = m.randomNormal(new Shape(n, n), DataType.FLOAT32);
      double flops = 2.0 * n * n * n;
      for (int i = 0; i < 2; i++) {
        try (NDArray c = product.apply(a, b)) {
          c.getFloat(0, 0); // forces completion
        }
      }
      double best = 0;
      long deadline = System.nanoTime() + (long) (seconds * 1e9);
      int reps = 0;
      while (reps < 3 || System.nanoTime() < deadline) {
        long t0 = System.nanoTime();
        try (NDArray c = product.apply(a, b)) {
          c.getFloat(0, 0);
        }
        double dt = (System.nanoTime() - t0) / 1e9;
        best = Math.max(best, flops / dt);
        reps++;
        if (reps > 200) {
          break;
        }
      }
      return best;
    }
  }
}
