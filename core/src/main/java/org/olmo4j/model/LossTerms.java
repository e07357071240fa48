package org.olmo4j.model;

import ai.djl.ndarray.NDArray;

/**
 * The summed pieces of OLMo's causal-LM loss for one micro-batch.
 *
 * @param ceSum scalar: Σ cross-entropy over the counted label tokens (differentiable)
 * @param zSum scalar: Σ logsumexp(logits)² over the same tokens, or {@code null} without z-loss
 * @param tokens the number of counted label tokens
 */
public record LossTerms(NDArray ceSum, NDArray zSum, long tokens) {}
