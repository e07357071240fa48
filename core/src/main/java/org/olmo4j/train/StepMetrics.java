package org.olmo4j.train;

/**
 * What one optimizer step did; one line of {@code metrics.jsonl}.
 *
 * @param loss token-weighted mean cross-entropy over the global batch (OLMo's train/CrossEntropyLoss)
 * @param zLoss z-loss term (0 when softmax_auxiliary_loss is off)
 * @param gradNorm global L2 norm of the gradient before clipping
 * @param tokens tokens seen by the run after this step
 * @param tokensPerS throughput over the recent window
 * @param mfu model FLOP/s over the peak fp32 matmul FLOP/s measured at start
 * @param maskedInstances instances of the global batch masked out of the loss by
 *     {@code data.instance_filter} (OLMo's train/masked_instances, summed over ranks)
 */
public record StepMetrics(
    long step,
    double loss,
    double zLoss,
    double lr,
    double gradNorm,
    double clipCoefficient,
    long tokens,
    double tokensPerS,
    double mfu,
    double stepSeconds,
    double computeSeconds,
    double exchangeSeconds,
    double optimizerSeconds,
    long rssBytes,
    long maskedInstances,
    /* the collectives' own time (the most of any rank), hidden behind compute or not */
    double collectiveSeconds,
    /* the wait for collectives, and their own time, of the slowest rank (the longest compute) */
    double slowestRankExchangeSeconds,
    double slowestRankCollectiveSeconds) {}
