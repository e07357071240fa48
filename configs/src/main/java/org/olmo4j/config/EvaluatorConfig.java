package org.olmo4j.config;

/**
 * One entry of {@code evaluators:}, as OLMo's {@code EvaluatorConfig}. {@code metric} is the
 * downstream task's metric (OLMo takes it from its task map; here the config names it).
 * {@code subset_num_batches} caps the evaluated instances (lm) or examples (downstream) at
 * {@code subset_num_batches × device_eval_batch_size}, independent of the number of workers.
 */
public record EvaluatorConfig(
    String label,
    EvaluatorType type,
    EvalDataConfig data,
    /* nullable: device_train_microbatch_size */ Integer deviceEvalBatchSize,
    /* nullable or -1: everything */ Integer subsetNumBatches,
    /* nullable: acc; downstream only */ DownstreamMetric metric) {

  /** Requests per forward pass: device_eval_batch_size, else the run's micro-batch size. */
  public int batchSize(TrainConfig run) {
    return deviceEvalBatchSize != null ? deviceEvalBatchSize : run.deviceTrainMicrobatchSize();
  }

  /** The instance / example cap, or {@link Long#MAX_VALUE} for all. */
  public long limit(TrainConfig run) {
    return subsetNumBatches == null || subsetNumBatches < 0
        ? Long.MAX_VALUE : (long) subsetNumBatches * batchSize(run);
  }

  /** The downstream metric ({@code acc} when not given). */
  public DownstreamMetric metricOrDefault() {
    return metric != null ? metric : DownstreamMetric.ACC;
  }
}
