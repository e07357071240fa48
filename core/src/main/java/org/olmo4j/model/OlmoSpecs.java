package org.olmo4j.model;

import java.util.ArrayList;
import java.util.List;
import org.olmo4j.config.ModelConfig;
import org.olmo4j.model.ParamSpec.Kind;

/** The parameter list of an OLMo-1 model under Hugging Face names, and its size arithmetic. */
final class OlmoSpecs {

  static final String EMBED = "model.embed_tokens.weight";
  static final String LM_HEAD = "lm_head.weight";
  static final String[] ATTN = {"q_proj", "k_proj", "v_proj", "o_proj"};
  static final String[] MLP = {"gate_proj", "up_proj", "down_proj"};

  private OlmoSpecs() {}

  static String attn(int layer, String proj) {
    return "model.layers." + layer + ".self_attn." + proj + ".weight";
  }

  static String mlp(int layer, String proj) {
    return "model.layers." + layer + ".mlp." + proj + ".weight";
  }

  static List<ParamSpec> specs(ModelConfig cfg) {
    validate(cfg);
    long d = cfg.dModel();
    long v = cfg.paddedVocabSize();
    long f = cfg.ffHiddenSize();
    List<ParamSpec> out = new ArrayList<>();
    out.add(new ParamSpec(EMBED, new long[] {v, d}, Kind.EMBEDDING));
    for (int i = 0; i < cfg.nLayers(); i++) {
      for (String p : ATTN) {
        out.add(new ParamSpec(attn(i, p), new long[] {d, d}, Kind.LINEAR));
      }
      out.add(new ParamSpec(mlp(i, "gate_proj"), new long[] {f, d}, Kind.LINEAR));
      out.add(new ParamSpec(mlp(i, "up_proj"), new long[] {f, d}, Kind.LINEAR));
      out.add(new ParamSpec(mlp(i, "down_proj"), new long[] {d, f}, Kind.LINEAR));
    }
    if (!cfg.weightTying()) {
      out.add(new ParamSpec(LM_HEAD, new long[] {v, d}, Kind.EMBEDDING));
    }
    return List.copyOf(out);
  }

  /** Rejects configurations this OLMo-1 implementation cannot build, naming the key. */
  static void validate(ModelConfig cfg) {
    require(cfg.dModel() > 0, "model.d_model", cfg.dModel(), "a positive integer");
    require(cfg.nHeads() > 0 && cfg.dModel() % cfg.nHeads() == 0, "model.n_heads", cfg.nHeads(),
        "a positive divisor of d_model " + cfg.dModel());
    require(cfg.headDim() % 2 == 0, "model.n_heads", cfg.nHeads(),
        "a head count giving an even head_dim for RoPE (head_dim = " + cfg.headDim() + ")");
    require(cfg.nLayers() > 0, "model.n_layers", cfg.nLayers(), "a positive integer");
    require(cfg.ffProjSize() > 0 && cfg.ffProjSize() % 2 == 0, "model.mlp_hidden_size",
        cfg.ffProjSize(), "a positive even ff_proj width (gate and up halves)");
    require(cfg.vocabSize() > 0, "model.vocab_size", cfg.vocabSize(), "a positive integer");
    require(cfg.paddedVocabSize() >= cfg.vocabSize(), "model.embedding_size",
        cfg.paddedVocabSize(), "at least vocab_size " + cfg.vocabSize());
    require(cfg.maxSequenceLength() > 0, "model.max_sequence_length", cfg.maxSequenceLength(),
        "a positive integer");
    require(cfg.ropeTheta() > 0, "model.rope_theta", cfg.ropeTheta(), "a positive number");
    require(!cfg.includeBias(), "model.include_bias", true, "false (OLMo-1 has no biases)");
    require(!cfg.layerNormWithAffine(), "model.layer_norm_with_affine", true,
        "false (OLMo-1 uses non-parametric LayerNorm)");
    require(cfg.clipQkv() == null || cfg.clipQkv() > 0, "model.clip_qkv", cfg.clipQkv(),
        "a positive number or null");
  }

  private static void require(boolean ok, String key, Object value, String expected) {
    if (!ok) {
      throw new IllegalArgumentException(key + " = " + value + ": expected " + expected);
    }
  }

  static long embeddingParams(ModelConfig cfg) {
    return (long) cfg.paddedVocabSize() * cfg.dModel();
  }

  static long nonEmbeddingParams(ModelConfig cfg) {
    long d = cfg.dModel();
    long perLayer = 4 * d * d + 3 * d * cfg.ffHiddenSize();
    return perLayer * cfg.nLayers();
  }

  static long flopsPerToken(ModelConfig cfg, int seqLen) {
    long head = embeddingParams(cfg);
    long attention = 12L * cfg.nLayers() * cfg.dModel() * seqLen;
    return 6 * (nonEmbeddingParams(cfg) + head) + attention;
  }
}
