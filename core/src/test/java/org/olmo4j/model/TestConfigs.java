package org.olmo4j.model;

import java.util.List;
import org.olmo4j.config.InitFn;
import org.olmo4j.config.LayerNormType;
import org.olmo4j.config.ModelConfig;

/** Hand-built model configs for tests. */
final class TestConfigs {

  private TestConfigs() {}

  static ModelConfig olmo1b() {
    return new ModelConfig(2048, 16, 16, 8, null, 50280, 50304, 2048, 10000.0, true,
        InitFn.MITCHELL, 0.02, null, LayerNormType.DEFAULT, false, false, null, 50279, 1);
  }

  static ModelConfig olmo7b() {
    return new ModelConfig(4096, 32, 32, 8, 22016, 50280, 50304, 2048, 10000.0, false,
        InitFn.MITCHELL, 0.02, null, LayerNormType.DEFAULT, false, false, null, 50279, 1);
  }

  /** d_model 8, 2 heads, 2 layers, SwiGLU hidden 12, vocab 13 padded to 16. */
  static ModelConfig tiny(boolean tied, Double clipQkv) {
    return new ModelConfig(8, 2, 2, 4, 24, 13, 16, 16, 10000.0, tied,
        InitFn.MITCHELL, 0.02, null, LayerNormType.DEFAULT, false, false, clipQkv, 12, 1);
  }

  static ModelConfig sized(int dModel, int nHeads, int nLayers, int vocab, int maxSeq,
      boolean tied) {
    return new ModelConfig(dModel, nHeads, nLayers, 8, null, vocab, vocab, maxSeq, 10000.0, tied,
        InitFn.MITCHELL, 0.02, null, LayerNormType.DEFAULT, false, false, null, 0, 1);
  }

  /**
   * OLMo 2 in small: d_model 16, 4 query heads over {@code kvHeads} KV heads, RMSNorm with weights
   * after attention and MLP, QK-norm, untied head, normal init; {@code window} null = OLMo 2,
   * else OLMo 3's pattern (forced full attention on the last layer).
   */
  static ModelConfig olmo2(int nLayers, int kvHeads, List<Integer> window) {
    return new ModelConfig(16, 4, nLayers, 8, 24, 13, 16, 16, 500000.0, false,
        InitFn.NORMAL, 0.02, 3.0, LayerNormType.RMS, true, false, null, 12, 1, kvHeads,
        1e-6, true, true, true,
        window == null ? null : new ModelConfig.SlidingWindowConfig(window, false, true));
  }

  /** {@code base} with another norm / QK-norm / norm-after / KV-head / window combination. */
  static ModelConfig variant(ModelConfig b, LayerNormType norm, boolean affine, boolean qkNorm,
      boolean normAfter, Integer kvHeads, List<Integer> window) {
    return new ModelConfig(b.dModel(), b.nHeads(), b.nLayers(), b.mlpRatio(), b.mlpHiddenSize(),
        b.vocabSize(), b.embeddingSize(), b.maxSequenceLength(), b.ropeTheta(), b.weightTying(),
        b.initFn(), b.initStd(), b.initCutoffFactor(), norm, affine, false, b.clipQkv(),
        b.eosTokenId(), b.padTokenId(), kvHeads, b.layerNormEps(), qkNorm, true, normAfter,
        window == null ? null : new ModelConfig.SlidingWindowConfig(window, false, false));
  }

  /** An OLMo 2 / 3 size with the dolma2 vocabulary (100278 padded to 100352). */
  static ModelConfig olmo2Sized(int d, int heads, int layers, int ffHidden, Integer kvHeads) {
    return new ModelConfig(d, heads, layers, 8, 2 * ffHidden, 100278, 100352, 4096, 500000.0,
        false, InitFn.NORMAL, 0.02, 3.0, LayerNormType.RMS, true, false, null, 100257, 100277,
        kvHeads, 1e-6, true, true, true, null);
  }
}
