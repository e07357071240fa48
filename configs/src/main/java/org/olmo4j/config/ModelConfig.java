package org.olmo4j.config;

import java.util.List;

/**
 * OLMo's {@code ModelConfig} subset that defines an OLMo 1 / 2 / 3 decoder (the keys of
 * allenai/OLMo's trainer; {@code sliding_window} reads like OLMo-core's).
 */
public record ModelConfig(
    int dModel,
    int nHeads,
    int nLayers,
    int mlpRatio,
    /* nullable: mlp_ratio * d_model */ Integer mlpHiddenSize,
    int vocabSize,
    /* nullable: vocab_size */ Integer embeddingSize,
    int maxSequenceLength,
    double ropeTheta,
    boolean weightTying,
    InitFn initFn,
    double initStd,
    /* nullable: no truncation for init_fn normal */ Double initCutoffFactor,
    LayerNormType layerNormType,
    boolean layerNormWithAffine,
    boolean includeBias,
    /* nullable: no clipping */ Double clipQkv,
    int eosTokenId,
    int padTokenId,
    /* nullable: n_heads (multi-head attention) */ Integer nKvHeads,
    double layerNormEps,
    boolean attentionLayerNorm,
    boolean attentionLayerNormWithAffine,
    boolean normAfter,
    /* nullable: full attention in every layer */ SlidingWindowConfig slidingWindow) {

  /**
   * OLMo 3's per-layer attention windows, as OLMo-core's {@code SlidingWindowAttentionConfig}:
   * layer i uses {@code pattern[i % len]} ({@code -1} = full attention); the force flags default
   * to true there, and so does a missing (null) flag here.
   */
  public record SlidingWindowConfig(
      List<Integer> pattern,
      /* nullable: true */ Boolean forceFullAttentionOnFirstLayer,
      /* nullable: true */ Boolean forceFullAttentionOnLastLayer) {

    /** A window in {@link #pattern} meaning full (causal) attention. */
    public static final int FULL = -1;

    /** The window of layer {@code layer} of {@code nLayers}, or {@link #FULL}. */
    public int windowOf(int layer, int nLayers) {
      if ((layer == 0 && !Boolean.FALSE.equals(forceFullAttentionOnFirstLayer))
          || (layer == nLayers - 1 && !Boolean.FALSE.equals(forceFullAttentionOnLastLayer))) {
        return FULL;
      }
      return pattern.get(layer % pattern.size());
    }
  }

  /** An OLMo-1 model config: pre-norm, multi-head attention, no QK-norm, full attention. */
  public ModelConfig(int dModel, int nHeads, int nLayers, int mlpRatio, Integer mlpHiddenSize,
      int vocabSize, Integer embeddingSize, int maxSequenceLength, double ropeTheta,
      boolean weightTying, InitFn initFn, double initStd, Double initCutoffFactor,
      LayerNormType layerNormType, boolean layerNormWithAffine, boolean includeBias,
      Double clipQkv, int eosTokenId, int padTokenId) {
    this(dModel, nHeads, nLayers, mlpRatio, mlpHiddenSize, vocabSize, embeddingSize,
        maxSequenceLength, ropeTheta, weightTying, initFn, initStd, initCutoffFactor,
        layerNormType, layerNormWithAffine, includeBias, clipQkv, eosTokenId, padTokenId, null,
        1e-5, false, true, false, null);
  }

  /** Output width of OLMo's fused {@code ff_proj} (gate and up together), as OLMo defines it. */
  public int ffProjSize() {
    return mlpHiddenSize != null ? mlpHiddenSize : mlpRatio * dModel;
  }

  /** Width of the SwiGLU hidden layer: half of {@link #ffProjSize()} (HF {@code intermediate_size}). */
  public int ffHiddenSize() {
    return ffProjSize() / 2;
  }

  public int headDim() {
    return dModel / nHeads;
  }

  /** Key/value heads: {@code n_kv_heads}, or {@code n_heads} without grouped-query attention. */
  public int kvHeads() {
    return nKvHeads != null ? nKvHeads : nHeads;
  }

  /** Rows of the embedding matrix: vocab padded for efficiency (50280 → 50304 in OLMo). */
  public int paddedVocabSize() {
    return embeddingSize != null ? embeddingSize : vocabSize;
  }

  /** The attention window of layer {@code layer}: {@link SlidingWindowConfig#FULL} or a size. */
  public int windowOf(int layer) {
    return slidingWindow == null ? SlidingWindowConfig.FULL
        : slidingWindow.windowOf(layer, nLayers);
  }
}
