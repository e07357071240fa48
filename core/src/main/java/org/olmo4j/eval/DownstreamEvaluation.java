package org.olmo4j.eval;

import java.util.List;
import java.util.Map;
import org.olmo4j.config.DownstreamMetric;

/**
 * A multiple-choice task scored by rank classification, reported as OLMo's
 * {@code eval/downstream/{label}_{metric}}.
 */
record DownstreamEvaluation(String label, int first, int count, int batchSize,
    DownstreamMetric metric, List<Example> examples) implements PlannedEvaluator {

  /**
   * The plan indices of one example's requests: {@code conditional[k]} scores choice k given its
   * context, {@code unconditional[k]} (pmi_dc only, else null) given the unconditional prefix.
   */
  record Example(int gold, int[] conditional, int[] unconditional, int[] chars, int[] bytes) {}

  @Override
  public void metrics(double[] logProbs, Map<String, Double> out) {
    double total = 0;
    for (Example e : examples) {
      int k = e.conditional().length;
      double[] cond = new double[k];
      for (int c = 0; c < k; c++) {
        cond[c] = logProbs[e.conditional()[c]];
      }
      total += switch (metric) {
        case ACC -> EvalMetrics.correct(cond, e.gold());
        case LEN_NORM -> EvalMetrics.correct(EvalMetrics.perUnit(cond, e.chars()), e.gold());
        case PMI_DC -> {
          double[] pmi = new double[k];
          for (int c = 0; c < k; c++) {
            pmi[c] = cond[c] - logProbs[e.unconditional()[c]];
          }
          yield EvalMetrics.correct(pmi, e.gold());
        }
        case BPB -> EvalMetrics.bitsPerByte(cond[e.gold()], e.bytes()[e.gold()]);
      };
    }
    out.put("eval/downstream/" + label + "_" + metric.yamlName(), total / examples.size());
  }
}
