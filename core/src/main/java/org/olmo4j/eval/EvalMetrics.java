package org.olmo4j.eval;

/** The metric formulas, on summed log-probabilities (natural log). */
public final class EvalMetrics {

  private EvalMetrics() {}

  /** Mean cross-entropy per predicted token: {@code −Σ log p / tokens}. */
  public static double crossEntropy(double sumLogProb, long tokens) {
    if (tokens <= 0) {
      throw new IllegalArgumentException("no predicted tokens");
    }
    return -sumLogProb / tokens;
  }

  /** Index of the highest score; the first one on ties. */
  public static int argmax(double[] scores) {
    int best = 0;
    for (int i = 1; i < scores.length; i++) {
      if (scores[i] > scores[best]) {
        best = i;
      }
    }
    return best;
  }

  /** 1 when the highest score is the gold one, else 0. */
  public static double correct(double[] scores, int gold) {
    return argmax(scores) == gold ? 1 : 0;
  }

  /** {@code scores[k] / units[k]} (len_norm: log-prob per character). */
  public static double[] perUnit(double[] scores, int[] units) {
    double[] out = new double[scores.length];
    for (int k = 0; k < scores.length; k++) {
      out[k] = scores[k] / Math.max(1, units[k]);
    }
    return out;
  }

  /** Bits per UTF-8 byte of a continuation: {@code −log p / (bytes · ln 2)}. */
  public static double bitsPerByte(double sumLogProb, int bytes) {
    return -sumLogProb / (Math.max(1, bytes) * Math.log(2));
  }
}
