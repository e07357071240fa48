package org.olmo4j.config;

/** OLMo's {@code ModelConfig} subset that defines an OLMo-1/OlmoForCausalLM model. */
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
    int padTokenId) {

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

  /** Rows of the embedding matrix: vocab padded for efficiency (50280 → 50304 in OLMo). */
  public int paddedVocabSize() {
    return embeddingSize != null ? embeddingSize : vocabSize;
  }
}
