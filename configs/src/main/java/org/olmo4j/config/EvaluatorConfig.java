package org.olmo4j.config;

/**
 * One entry of {@code evaluators:}, as OLMo's {@code EvaluatorConfig}. {@code metric} is the
 * downstream task's metric (OLMo takes it from its task map; here the config names it).
 * {@code type} is lm unless given. {@code subset_num_batches} caps the evaluated instances (lm)
 * or examples (downstream) at {@code subset_num_batches × device_eval_batch_size}, independent of
 * the number of workers.
 */
public record EvaluatorConfig(
    String label,
    EvaluatorType type,
    EvalDataConfig data,
    /* nullable: the run's device_eval_batch_size */ Integer deviceEvalBatchSize,
    /* nullable: the run's eval_subset_num_batches; -1: everything */ Integer subsetNumBatches,
    /* nullable: acc; downstream only */ DownstreamMetric metric) {

  /** {@code type} defaults to lm, as in OLMo (its recipes leave it out for perplexity sets). */
  public EvaluatorConfig {
    if (type == null) {
      type = EvaluatorType.LM;
    }
  }

  /**
   * Requests per forward pass: this evaluator's device_eval_batch_size, else the run's (as OLMo),
   * else the run's micro-batch size.
   */
  public int batchSize(TrainConfig run) {
    if (deviceEvalBatchSize != null) {
      return deviceEvalBatchSize;
    }
    return run.deviceEvalBatchSize() != null
        ? run.deviceEvalBatchSize() : run.deviceTrainMicrobatchSize();
  }

  /** The instance / example cap (subset_num_batches, else the run's), or {@link Long#MAX_VALUE}. */
  public long limit(TrainConfig run) {
    int batches = subsetNumBatches != null ? subsetNumBatches : run.evalSubsetNumBatches();
    return batches < 0 ? Long.MAX_VALUE : (long) batches * batchSize(run);
  }

  /** The downstream metric ({@code acc} when not given). */
  public DownstreamMetric metricOrDefault() {
    return metric != null ? metric : DownstreamMetric.ACC;
  }
}
