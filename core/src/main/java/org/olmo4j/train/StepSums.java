package org.olmo4j.train;

import java.util.Arrays;
import org.olmo4j.optim.GradClip;

/**
 * What every strategy's step sums over the ranks, in the same order on every rank: the label
 * tokens the loss is normalised by, then the loss terms with the masked instances and the caller's
 * votes, then the gradient norm of the ranks' gradient shards; each checked for divergence.
 */
final class StepSums {

  /**
   * The step's global loss terms, masked instances and votes; the gradient norm when it was
   * summed with them ({@link #lossAndGradNorm}), else NaN.
   */
  record Loss(double loss, double zLoss, long maskedInstances, double[] votes, double gradNorm) {}

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
    return sums(c, local, masked, votes, normaliser, step, null);
  }

  /**
   * The loss terms and the gradient norm of the shards, whose sums of squares are {@code
   * shardSumOfSquares}, summed over {@code shard} (the ranks whose shards make up the gradient
   * once): in one all-reduce with the loss terms when those ranks are every rank of {@code
   * world}, else (HYBRID_SHARD's shard group) in one of its own.
   */
  static Loss lossAndGradNorm(Collectives world, Collectives shard, GradientStep.Result local,
      long masked, double[] votes, long normaliser, double shardSumOfSquares, long step) {
    if (shard.worldSize() == world.worldSize()) {
      return sums(world, local, masked, votes, normaliser, step, shardSumOfSquares);
    }
    Loss l = loss(world, local, masked, votes, normaliser, step);
    return new Loss(l.loss(), l.zLoss(), l.maskedInstances(), l.votes(),
        gradNorm(shard, shardSumOfSquares, step));
  }

  private static Loss sums(Collectives c, GradientStep.Result local, long masked,
      double[] votes, long normaliser, long step, Double shardSumOfSquares) {
    int extra = shardSumOfSquares == null ? 0 : 1;
    double[] mine = new double[3 + votes.length + extra];
    mine[0] = local.ceSum();
    mine[1] = local.zSum();
    mine[2] = masked;
    System.arraycopy(votes, 0, mine, 3, votes.length);
    if (shardSumOfSquares != null) {
      mine[mine.length - 1] = shardSumOfSquares;
    }
    double[] sums = c.allReduceSum(mine);
    double loss = sums[0] / normaliser;
    if (!Double.isFinite(loss)) {
      throw new TrainingDivergedException("loss is " + loss + " at step " + step);
    }
    double norm = shardSumOfSquares == null ? Double.NaN
        : checkedNorm(sums[sums.length - 1], step);
    return new Loss(loss, sums[1] / normaliser, (long) sums[2],
        Arrays.copyOfRange(sums, 3, 3 + votes.length), norm);
  }

  /**
   * The global gradient norm from the sums of squares of the ranks' disjoint shards ({@link
   * GradClip#sumOfSquares}); not finite ends the run.
   */
  static double gradNorm(Collectives c, double shardSumOfSquares, long step) {
    return checkedNorm(c.allReduceSum(new double[] {shardSumOfSquares})[0], step);
  }

  /** The norm of a summed square; not finite ends the run. */
  private static double checkedNorm(double sumOfSquares, long step) {
    double norm = Math.sqrt(sumOfSquares);
    if (!Double.isFinite(norm)) {
      throw new TrainingDivergedException("gradient norm is " + norm + " at step " + step);
    }
    return norm;
  }
}
