package org.olmo4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.core.Linear;

/**
 * OLMo's causal-LM loss terms: position t predicts token t+1; the label mask of the label
 * position decides whether a token counts. Cross-entropy via one log-softmax; the z-loss term
 * reuses it, since {@code logsumexp = logit[y] − logp[y]}.
 */
final class CausalLmLoss {

  private CausalLmLoss() {}

  /**
   * @param hidden final hidden states {@code [B, T, D]}
   * @param head output embedding {@code [V, D]} (tied embedding or lm_head)
   * @param ids input ids {@code [B, T]} INT64
   * @param labelMask nullable {@code [B, T]}, BOOLEAN or numeric (non-zero = counted)
   */
  static LossTerms terms(NDArray hidden, NDArray head, NDArray ids, NDArray labelMask,
      boolean zLoss, NDManager step) {
    long b = hidden.getShape().get(0);
    long t = hidden.getShape().get(1);
    if (t < 2) {
      throw new IllegalArgumentException("a causal LM loss needs at least 2 tokens, got T = " + t);
    }
    // The head only runs on positions 0..T-2: the last position has no label.
    NDArray logits = Linear.linear(hidden.get(":, :-1"), head).singletonOrThrow();
    NDArray labels = ids.get(step, new NDIndex(":, 1:")).expandDims(-1);
    NDArray logp = logits.logSoftmax(-1);
    NDArray picked = logp.gather(labels, -1).squeeze(-1);
    NDArray weight = null;
    long tokens = b * (t - 1);
    if (labelMask != null) {
      NDArray keep = labelMask.get(step, new NDIndex(":, 1:"));
      if (keep.getDataType() != DataType.BOOLEAN) {
        keep = keep.neq(0);
      }
      tokens = keep.toType(DataType.INT64, false).sum().getLong();
      weight = keep.toType(hidden.getDataType(), false);
    }
    NDArray ceSum = masked(picked, weight).sum().neg();
    NDArray zSum = null;
    if (zLoss) {
      NDArray lse = logits.gather(labels, -1).squeeze(-1).sub(picked);
      zSum = masked(lse.square(), weight).sum();
    }
    return new LossTerms(ceSum, zSum, tokens);
  }

  private static NDArray masked(NDArray perToken, NDArray weight) {
    return weight == null ? perToken : perToken.mul(weight);
  }
}
