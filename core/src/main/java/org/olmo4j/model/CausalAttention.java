package org.olmo4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import java.util.HashMap;
import java.util.Map;
import org.olmo4j.config.ModelConfig;

/**
 * OLMo-1 multi-head causal self-attention: bias-free q/k/v/o, optional clip_qkv, RoPE, softmax
 * with scale 1/sqrt(head_dim).
 */
final class CausalAttention {

  private final int nHeads;
  private final int headDim;
  private final Double clip;
  private final Rope rope;
  private final NDManager owner;
  private final DataType dtype;
  private final Map<Integer, NDArray> masks = new HashMap<>();

  CausalAttention(ModelConfig cfg, NDManager owner, DataType dtype) {
    this.nHeads = cfg.nHeads();
    this.headDim = cfg.headDim();
    this.clip = cfg.clipQkv();
    this.owner = owner;
    this.dtype = dtype;
    this.rope = new Rope(headDim, cfg.ropeTheta(), 1.0 / Math.sqrt(headDim), owner, dtype);
  }

  /** {@code x [B, T, D]} (already normalised) → attention output {@code [B, T, D]}. */
  NDArray forward(NDArray x, NDArray wq, NDArray wk, NDArray wv, NDArray wo) {
    Shape s = x.getShape();
    long b = s.get(0);
    int t = Math.toIntExact(s.get(1));
    Rope.Tables tab = rope.tables(t);
    // Scores use q pre-scaled by 1/sqrt(hd) through the query tables (fewer elements than T×T).
    NDArray q = Rope.apply(heads(project(x, wq), b, t), tab.cosScaled(), tab.sinScaled());
    NDArray k = Rope.apply(heads(project(x, wk), b, t), tab.cos(), tab.sin());
    NDArray v = heads(project(x, wv), b, t);
    NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).addi(mask(t));
    NDArray y = scores.softmax(-1).matMul(v);
    NDArray merged = y.transpose(0, 2, 1, 3).reshape(b, t, (long) nHeads * headDim);
    return Linear.linear(merged, wo).singletonOrThrow();
  }

  private NDArray project(NDArray x, NDArray w) {
    NDArray y = Linear.linear(x, w).singletonOrThrow();
    return clip == null ? y : y.clip(-clip, clip);
  }

  /** {@code [B, T, D]} → {@code [B, H, T, hd]} (a view). */
  private NDArray heads(NDArray y, long b, int t) {
    return y.reshape(b, t, nHeads, headDim).transpose(0, 2, 1, 3);
  }

  /** Additive causal mask {@code [T, T]}: 0 on and below the diagonal, −inf above. */
  private NDArray mask(int t) {
    return masks.computeIfAbsent(t, n -> {
      Shape shape = new Shape(n, n);
      if (dtype == DataType.FLOAT64) {
        double[] m = new double[n * n];
        for (int i = 0; i < n; i++) {
          for (int j = i + 1; j < n; j++) {
            m[i * n + j] = Double.NEGATIVE_INFINITY;
          }
        }
        return owner.create(m, shape);
      }
      float[] m = new float[n * n];
      for (int i = 0; i < n; i++) {
        for (int j = i + 1; j < n; j++) {
          m[i * n + j] = Float.NEGATIVE_INFINITY;
        }
      }
      return owner.create(m, shape);
    });
  }
}
