package org.olmo4j.eval;

import java.util.Map;

/** One configured evaluator inside an {@link EvalPlan}: its requests are a range of plan indices. */
sealed interface PlannedEvaluator permits LmEvaluation, DownstreamEvaluation {

  String label();

  /** First plan index of this evaluator's requests. */
  int first();

  /** Number of requests. */
  int count();

  /** Requests per forward pass. */
  int batchSize();

  /** Adds this evaluator's metrics (OLMo names) computed from every plan request's log-prob. */
  void metrics(double[] logProbs, Map<String, Double> out);
}
