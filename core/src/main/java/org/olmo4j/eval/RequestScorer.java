package org.olmo4j.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.List;
import org.olmo4j.model.OlmoModel;
import org.olmo4j.model.StepScope;

/**
 * Scores requests on a model: batches of consecutive requests, right-padded to the longest
 * (a causal model never looks right, so padding changes no real position); one forward pass per
 * batch with autograd off; only the continuation positions are summed, in double, on the host.
 */
public final class RequestScorer {

  private final OlmoModel model;
  private final int batchSize;
  private final long padId;

  /** @param batchSize requests per forward pass (device_eval_batch_size) */
  public RequestScorer(OlmoModel model, int batchSize) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
    }
    this.model = model;
    this.batchSize = batchSize;
    this.padId = model.config().padTokenId();
  }

  /** Summed continuation log-probabilities of {@code requests}, in their order. */
  public double[] score(List<EvalRequest> requests) {
    return score(requests, 0);
  }

  /**
   * As {@link #score(List)}, running at least {@code forwards} forward passes: one-token batches
   * after the real ones, so that every rank of a FULL_SHARD world runs the same collectives.
   */
  public double[] score(List<EvalRequest> requests, int forwards) {
    double[] out = new double[requests.size()];
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      int done = 0;
      for (int from = 0; from < requests.size(); from += batchSize) {
        List<EvalRequest> batch = requests.subList(from, Math.min(requests.size(), from + batchSize));
        scoreBatch(batch, out, from);
        done++;
      }
      for (; done < forwards; done++) {
        try (StepScope scope = model.newStepScope()) {
          model.logits(scope.manager().create(new long[] {padId}, new Shape(1, 1))).close();
        }
      }
    } finally {
      JniUtils.setGradMode(grad);
    }
    return out;
  }

  private void scoreBatch(List<EvalRequest> batch, double[] out, int offset) {
    int b = batch.size();
    int t = batch.stream().mapToInt(EvalRequest::inputLength).max().orElseThrow();
    long[] inputs = new long[b * t];
    long[] targets = new long[b * t];
    java.util.Arrays.fill(inputs, padId);
    java.util.Arrays.fill(targets, padId);
    for (int i = 0; i < b; i++) {
      long[] tok = batch.get(i).tokens();
      System.arraycopy(tok, 0, inputs, i * t, tok.length - 1);
      System.arraycopy(tok, 1, targets, i * t, tok.length - 1);
    }
    float[] logp;
    try (StepScope scope = model.newStepScope()) {
      NDArray x = scope.manager().create(inputs, new Shape(b, t));
      NDArray y = scope.manager().create(targets, new Shape(b, t, 1));
      logp = model.logits(x).logSoftmax(-1).gather(y, -1).toFloatArray();
    }
    for (int i = 0; i < b; i++) {
      EvalRequest r = batch.get(i);
      double sum = 0;
      // Input position p predicts token p + 1; the continuation is tokens[contextLength..].
      for (int p = r.contextLength() - 1; p < r.inputLength(); p++) {
        sum += logp[i * t + p];
      }
      out[offset + i] = sum;
    }
  }
}
