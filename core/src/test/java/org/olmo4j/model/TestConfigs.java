package org.olmo4j.model;

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
}
