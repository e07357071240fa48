package org.olmo4j.train;

import java.util.Arrays;
import org.olmo4j.optim.GradClip;

/**
 * What every strategy's step sums over the ranks, in the same order on every rank: the label
 * tokens the loss is normalised by, then the loss terms with the masked instances and the caller's
 * votes, then the gradient norm of the ranks' gradient shards; each checked for divergence.
 */
final class StepSums {

  /** The step's global loss terms, masked instances and votes. */
  record Loss(double loss, double zLoss, long maskedInstances, double[] votes) {}

  private StepSums() {}

  /**
   * The label tokens of the whole batch. The loss is normalised by at least 1 of them: a batch
   * whose every instance the filter masked has no token to average over, so its loss and
   * gradient are 0 (as OLMo's, which divides summed losses by the batch's token count).
   */
  static long labelTokens(Collectives c, long mine) {
    return (long) c.allReduceSum(new double[] {mine})[0];
  }

  /** The loss terms summed over the ranks; a loss that is not finite ends the run. */
  static Loss loss(Collectives c, GradientStep.Result local, long masked, double[] votes,
      long normaliser, long step) {
    double[] mine = new double[3 + votes.length];
    mine[0] = local.ceSum();
    mine[1] = local.zSum();
    mine[2] = masked;
    System.arraycopy(votes, 0, mine, 3, votes.length);
    double[] sums = c.allReduceSum(mine);
    double loss = sums[0] / normaliser;
    if (!Double.isFinite(loss)) {
      throw new TrainingDivergedException("loss is " + loss + " at step " + step);
    }
    return new Loss(loss, sums[1] / normaliser, (long) sums[2],
        Arrays.copyOfRange(sums, 3, sums.length));
  }

  /** The global gradient norm from the ranks' disjoint shards; not finite ends the run. */
  static double gradNorm(Collectives c, float[] shardGrads, long step) {
    double norm = Math.sqrt(c.allReduceSum(new double[] {GradClip.sumOfSquares(shardGrads)})[0]);
    if (!Double.isFinite(norm)) {
      throw new TrainingDivergedException("gradient norm is " + norm + " at step " + step);
    }
    return norm;
  }
}
