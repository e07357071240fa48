package org.olmo4j.evaluator;

import java.util.BitSet;
import org.olmo4j.eval.EvalPlan;

/**
 * The ranks' reports of one eval round (one step of one generation), put back in plan order:
 * rank r's j-th log-prob is request {@code r + j·N}. Complete when every rank has reported.
 */
final class EvalRound {

  private final int worldSize;
  private final double[] logProbs;
  private final BitSet reported = new BitSet();
  private long tokens;
  private double seconds;

  EvalRound(int worldSize, int planSize) {
    this.worldSize = worldSize;
    this.logProbs = new double[planSize];
  }

  /** Adds one rank's report; an error naming what does not fit the plan. */
  void add(Evaluator.RankScored s, EvalPlan plan) {
    if (s.worldSize() != worldSize) {
      throw new IllegalArgumentException("rank " + s.rank() + " reports a world of " + s.worldSize()
          + ", the round has " + worldSize);
    }
    if (s.planFingerprint() != plan.fingerprint() || s.planSize() != plan.size()) {
      throw new IllegalArgumentException("rank " + s.rank() + " scored a different eval plan ("
          + s.planSize() + " requests) than the evaluator's (" + plan.size() + " requests): do "
          + "the nodes see the same eval files?");
    }
    int[] share = plan.share(s.rank(), worldSize);
    if (share.length != s.logProbs().size()) {
      throw new IllegalArgumentException("rank " + s.rank() + " reports " + s.logProbs().size()
          + " log-probs for its share of " + share.length + " requests");
    }
    if (reported.get(s.rank())) {
      return; // a duplicate report (redelivery) counts once
    }
    for (int j = 0; j < share.length; j++) {
      logProbs[share[j]] = s.logProbs().get(j);
    }
    reported.set(s.rank());
    tokens += s.tokens();
    seconds = Math.max(seconds, s.seconds());
  }

  boolean complete() {
    return reported.cardinality() == worldSize;
  }

  double[] logProbs() {
    return logProbs;
  }

  /** Input tokens scored by all ranks. */
  long tokens() {
    return tokens;
  }

  /** The slowest rank's scoring time: the round's wall time on the workers. */
  double seconds() {
    return seconds;
  }
}
