package org.olmo4j.exchange;

/**
 * Element-wise accumulation used by every implementation, so that sums taken in rank order
 * ({@code acc = x0; acc += x1; acc += x2 ...}) are bit-identical everywhere.
 */
final class RankOrderSum {

  private RankOrderSum() {}

  /** {@code acc[accOff + i] += x[xOff + i]} for {@code i < n}. */
  static void add(float[] acc, int accOff, float[] x, int xOff, int n) {
    for (int i = 0; i < n; i++) {
      acc[accOff + i] += x[xOff + i];
    }
  }

  /** {@code acc[accOff + i] = x[xOff + i] + y[yOff + i]} for {@code i < n}. */
  static void sum(float[] acc, int accOff, float[] x, int xOff, float[] y, int yOff, int n) {
    for (int i = 0; i < n; i++) {
      acc[accOff + i] = x[xOff + i] + y[yOff + i];
    }
  }

  /** {@code acc[accOff + i] = (acc[accOff + i] + x[xOff + i]) + y[yOff + i]} for {@code i < n}. */
  static void add(float[] acc, int accOff, float[] x, int xOff, float[] y, int yOff, int n) {
    for (int i = 0; i < n; i++) {
      acc[accOff + i] = (acc[accOff + i] + x[xOff + i]) + y[yOff + i];
    }
  }

  /** {@code acc[accOff + i] += x[i] + y[i]} for i < n: the pair's sum first, then the accumulation. */
  static void addSum(float[] acc, int accOff, float[] x, float[] y, int n) {
    for (int i = 0; i < n; i++) {
      acc[accOff + i] += x[i] + y[i];
    }
  }

  /** {@code acc[i] += x[i]}. */
  static void add(double[] acc, double[] x) {
    for (int i = 0; i < acc.length; i++) {
      acc[i] += x[i];
    }
  }
}
