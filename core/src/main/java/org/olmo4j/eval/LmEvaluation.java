package org.olmo4j.eval;

import java.util.List;
import java.util.Map;

/**
 * Perplexity on token files: per dataset label and, for several labels, combined token-weighted,
 * as OLMo's {@code eval/{label}/CrossEntropyLoss} and {@code eval/{label}/Perplexity}.
 *
 * @param datasets in config order; {@code label} null when the evaluator gave plain paths
 */
record LmEvaluation(String label, int first, int count, int batchSize, List<Dataset> datasets)
    implements PlannedEvaluator {

  /** One dataset's requests: plan indices {@code [first, first + count)}, each instance's tokens. */
  record Dataset(String label, int first, int count, long predictedTokens) {}

  @Override
  public void metrics(double[] logProbs, Map<String, Double> out) {
    double allSum = 0;
    long allTokens = 0;
    for (Dataset d : datasets) {
      double sum = 0;
      for (int i = d.first(); i < d.first() + d.count(); i++) {
        sum += logProbs[i];
      }
      if (d.label() != null) {
        put(out, "eval/" + label + "/" + d.label(), EvalMetrics.crossEntropy(sum, d.predictedTokens()));
      }
      allSum += sum;
      allTokens += d.predictedTokens();
    }
    put(out, "eval/" + label, EvalMetrics.crossEntropy(allSum, allTokens));
  }

  private static void put(Map<String, Double> out, String prefix, double ce) {
    out.put(prefix + "/CrossEntropyLoss", ce);
    out.put(prefix + "/Perplexity", Math.exp(ce));
  }
}
