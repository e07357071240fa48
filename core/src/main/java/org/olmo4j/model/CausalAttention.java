package org.olmo4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.olmo4j.config.ModelConfig;

/**
 * OLMo's causal self-attention: bias-free q/k/v/o, optional clip_qkv, optional QK-norm over the
 * whole projected q and k (OLMo 2/3), grouped-query attention, RoPE, softmax with scale
 * 1/sqrt(head_dim), and a per-layer sliding window (OLMo 3).
 */
final class CausalAttention {

  private final int nHeads;
  private final int kvHeads;
  private final int headDim;
  private final Double clip;
  private final Norm norm;
  private final Rope rope;
  private final NDManager owner;
  private final DataType dtype;
  private final Map<List<Integer>, NDArray> masks = new HashMap<>();

  CausalAttention(ModelConfig cfg, Norm norm, NDManager owner, DataType dtype) {
    this.nHeads = cfg.nHeads();
    this.kvHeads = cfg.kvHeads();
    this.headDim = cfg.headDim();
    this.clip = cfg.clipQkv();
    this.norm = norm;
    this.owner = owner;
    this.dtype = dtype;
    this.rope = new Rope(headDim, cfg.ropeTheta(), 1.0 / Math.sqrt(headDim), owner, dtype);
  }

  /** {@code x [B, T, D]} (normalised for pre-norm blocks) → attention output {@code [B, T, D]}. */
  NDArray forward(NDArray x, Transformer.Block w) {
    Shape s = x.getShape();
    long b = s.get(0);
    int t = Math.toIntExact(s.get(1));
    Rope.Tables tab = rope.tables(t);
    NDArray q = project(x, w.q());
    NDArray k = project(x, w.k());
    if (w.qNorm() != null) {
      q = norm.apply(q, w.qNorm());
      k = norm.apply(k, w.kNorm());
    }
    // Scores use q pre-scaled by 1/sqrt(hd) through the query tables (fewer elements than T×T).
    q = Rope.apply(heads(q, b, t, nHeads), tab.cosScaled(), tab.sinScaled());
    k = repeatKv(Rope.apply(heads(k, b, t, kvHeads), tab.cos(), tab.sin()), b, t);
    NDArray v = repeatKv(heads(project(x, w.v()), b, t, kvHeads), b, t);
    NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).addi(mask(t, w.window()));
    NDArray y = scores.softmax(-1).matMul(v);
    NDArray merged = y.transpose(0, 2, 1, 3).reshape(b, t, (long) nHeads * headDim);
    return Linear.linear(merged, w.o()).singletonOrThrow();
  }

  private NDArray project(NDArray x, NDArray w) {
    NDArray y = Linear.linear(x, w).singletonOrThrow();
    return clip == null ? y : y.clip(-clip, clip);
  }

  /** {@code [B, T, n·hd]} → {@code [B, n, T, hd]} (a view). */
  private NDArray heads(NDArray y, long b, int t, int n) {
    return y.reshape(b, t, n, headDim).transpose(0, 2, 1, 3);
  }

  /** Grouped-query attention: KV head j serves query heads j·g … j·g+g−1 (HF's repeat_kv). */
  private NDArray repeatKv(NDArray kv, long b, int t) {
    int g = nHeads / kvHeads;
    if (g == 1) {
      return kv;
    }
    return kv.expandDims(2).broadcast(new Shape(b, kvHeads, g, t, headDim))
        .reshape(b, nHeads, t, headDim);
  }

  /**
   * Additive mask {@code [T, T]}: 0 where query i may see key j, −inf elsewhere. Causal: j ≤ i;
   * with a window W also {@code j > i − W} (i sees itself and the W − 1 keys before it).
   */
  private NDArray mask(int t, int window) {
    return masks.computeIfAbsent(List.of(t, window), key -> {
      double[] m = new double[t * t];
      for (int i = 0; i < t; i++) {
        for (int j = 0; j < t; j++) {
          boolean visible = j <= i && (window <= 0 || j > i - window);
          m[i * t + j] = visible ? 0 : Double.NEGATIVE_INFINITY;
        }
      }
      NDArray a = owner.create(m, new Shape(t, t));
      if (dtype == DataType.FLOAT64) {
        NDScope.unregister(a); // cached for the model's life, not a scope's intermediate
        return a;
      }
      NDArray narrowed = a.toType(dtype, false);
      a.close();
      NDScope.unregister(narrowed);
      return narrowed;
    });
  }
}
