package org.olmo4j.optim;

/**
 * Global L2 gradient norm and torch's {@code clip_grad_norm_} coefficient.
 *
 * <p>Sums of squares are accumulated in double in a fixed order, so the norm is bit-identical from
 * run to run; a sharded world adds its ranks' partial sums in rank order.
 */
public final class GradClip {

  private GradClip() {}

  /** Sum of squares of {@code g[from..to)}, in double. */
  public static double sumOfSquares(float[] g, int from, int to) {
    if (from < 0 || to > g.length || from > to) {
      throw new IndexOutOfBoundsException("[" + from + ", " + to + ") outside [0, " + g.length + ")");
    }
    // Four independent accumulators, combined in a fixed order: deterministic and faster than one.
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int i = from;
    for (; i + 3 < to; i += 4) {
      double a = g[i], b = g[i + 1], c = g[i + 2], d = g[i + 3];
      s0 += a * a;
      s1 += b * b;
      s2 += c * c;
      s3 += d * d;
    }
    for (; i < to; i++) {
      double a = g[i];
      s0 += a * a;
    }
    return (s0 + s1) + (s2 + s3);
  }

  /** Sum of squares of all of {@code g}. */
  public static double sumOfSquares(float[] g) {
    return sumOfSquares(g, 0, g.length);
  }

  /** The L2 norm of all of {@code g}. */
  public static double norm(float[] g) {
    return Math.sqrt(sumOfSquares(g));
  }

  /** The global L2 norm from per-shard sums of squares, added in the order given (rank order). */
  public static double normFromSumsOfSquares(double... partialSums) {
    double s = 0;
    for (double p : partialSums) {
      s += p;
    }
    return Math.sqrt(s);
  }

  /** {@code min(1, maxNorm / (totalNorm + 1e-6))}, as torch's {@code clip_grad_norm_}. */
  public static double clipCoefficient(double totalNorm, double maxNorm) {
    if (!(maxNorm > 0)) {
      throw new IllegalArgumentException("max_grad_norm must be > 0, got " + maxNorm);
    }
    return Math.min(1.0, maxNorm / (totalNorm + 1e-6));
  }
}
