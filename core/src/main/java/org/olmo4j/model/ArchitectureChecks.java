package org.olmo4j.model;

import java.util.ArrayList;
import java.util.List;
import org.olmo4j.config.ModelConfig;
import org.olmo4j.model.Architecture.Family;

/** What {@link Architecture} can build, and which Hugging Face class a config is; errors name keys. */
final class ArchitectureChecks {

  private ArchitectureChecks() {}

  /** Rejects configurations the model cannot build, naming the key. */
  static void validate(ModelConfig cfg) {
    require(cfg.dModel() > 0, "model.d_model", cfg.dModel(), "a positive integer");
    require(cfg.nHeads() > 0 && cfg.dModel() % cfg.nHeads() == 0, "model.n_heads", cfg.nHeads(),
        "a positive divisor of d_model " + cfg.dModel());
    require(cfg.headDim() % 2 == 0, "model.n_heads", cfg.nHeads(),
        "a head count giving an even head_dim for RoPE (head_dim = " + cfg.headDim() + ")");
    require(cfg.kvHeads() > 0 && cfg.nHeads() % cfg.kvHeads() == 0, "model.n_kv_heads",
        cfg.nKvHeads(), "a positive divisor of n_heads " + cfg.nHeads());
    require(cfg.nLayers() > 0, "model.n_layers", cfg.nLayers(), "a positive integer");
    require(cfg.ffProjSize() > 0 && cfg.ffProjSize() % 2 == 0, "model.mlp_hidden_size",
        cfg.ffProjSize(), "a positive even ff_proj width (gate and up halves)");
    require(cfg.vocabSize() > 0, "model.vocab_size", cfg.vocabSize(), "a positive integer");
    require(cfg.paddedVocabSize() >= cfg.vocabSize(), "model.embedding_size",
        cfg.paddedVocabSize(), "at least vocab_size " + cfg.vocabSize());
    require(cfg.maxSequenceLength() > 0, "model.max_sequence_length", cfg.maxSequenceLength(),
        "a positive integer");
    require(cfg.ropeTheta() > 0, "model.rope_theta", cfg.ropeTheta(), "a positive number");
    require(cfg.layerNormEps() > 0, "model.layer_norm_eps", cfg.layerNormEps(),
        "a positive number");
    require(!cfg.includeBias(), "model.include_bias", true, "false (OLMo 1, 2 and 3 have no biases)");
    require(cfg.clipQkv() == null || cfg.clipQkv() > 0, "model.clip_qkv", cfg.clipQkv(),
        "a positive number or null");
    if (cfg.slidingWindow() != null) {
      List<Integer> pattern = cfg.slidingWindow().pattern();
      require(pattern != null && !pattern.isEmpty()
              && pattern.stream().allMatch(w -> w != null && (w == -1 || w > 0)),
          "model.sliding_window.pattern", pattern,
          "a non-empty list of window sizes (positive, or -1 for full attention)");
    }
  }

  /** The HF class {@code cfg} corresponds to, or an error listing what keeps it from each. */
  static Family family(ModelConfig cfg) {
    List<String> olmo1 = new ArrayList<>();
    expect(olmo1, !cfg.layerNormType().isRms(), "layer_norm_type default");
    expect(olmo1, !cfg.layerNormWithAffine(), "layer_norm_with_affine false");
    expect(olmo1, !cfg.attentionLayerNorm(), "attention_layer_norm false");
    expect(olmo1, !cfg.normAfter(), "norm_after false");
    expect(olmo1, cfg.kvHeads() == cfg.nHeads(), "n_kv_heads = n_heads");
    expect(olmo1, !windowed(cfg), "no sliding_window");
    if (olmo1.isEmpty()) {
      return Family.OLMO;
    }
    List<String> olmo2 = new ArrayList<>();
    expect(olmo2, cfg.layerNormType().isRms(), "layer_norm_type rms");
    expect(olmo2, cfg.layerNormWithAffine(), "layer_norm_with_affine true");
    expect(olmo2, cfg.attentionLayerNorm() && cfg.attentionLayerNormWithAffine(),
        "attention_layer_norm true (with affine)");
    expect(olmo2, cfg.normAfter(), "norm_after true");
    expect(olmo2, cfg.clipQkv() == null, "clip_qkv null");
    if (olmo2.isEmpty() && !windowed(cfg)) {
      return Family.OLMO2;
    }
    List<Integer> windows = new ArrayList<>();
    for (int i = 0; i < cfg.nLayers(); i++) {
      if (cfg.windowOf(i) > 0 && !windows.contains(cfg.windowOf(i))) {
        windows.add(cfg.windowOf(i));
      }
    }
    expect(olmo2, windows.size() <= 1, "one window size for all sliding layers (HF has one "
        + "sliding_window), got " + windows);
    if (olmo2.isEmpty()) {
      return Family.OLMO3;
    }
    throw new IllegalArgumentException("the model config matches no Hugging Face OLMo class: "
        + "OlmoForCausalLM needs " + String.join(", ", olmo1) + "; Olmo2ForCausalLM / "
        + "Olmo3ForCausalLM need " + String.join(", ", olmo2));
  }

  /** True when some layer attends through a window (not only full attention). */
  static boolean windowed(ModelConfig cfg) {
    for (int i = 0; i < cfg.nLayers(); i++) {
      if (cfg.windowOf(i) > 0) {
        return true;
      }
    }
    return false;
  }

  private static void expect(List<String> misses, boolean ok, String what) {
    if (!ok) {
      misses.add(what);
    }
  }

  private static void require(boolean ok, String key, Object value, String expected) {
    if (!ok) {
      throw new IllegalArgumentException(key + " = " + value + ": expected " + expected);
    }
  }
}
