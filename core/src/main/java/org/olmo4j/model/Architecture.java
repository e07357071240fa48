package org.olmo4j.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.olmo4j.config.InitFn;
import org.olmo4j.config.ModelConfig;
import org.olmo4j.model.ParamSpec.Kind;

/**
 * The one definition of a decoder architecture (OLMo 1, 2 or 3), read from OLMo's model keys:
 * every parameter with its Hugging Face name, shape, kind (its AdamW group) and init rule, and
 * which parameters each block uses. The flat layout, the initialiser, the model's wiring and the
 * HF tensor list and {@code config.json} all derive from it.
 */
public final class Architecture {

  /** The Hugging Face class a config corresponds to. */
  public enum Family {
    /** OLMo 1: pre-norm, non-parametric LayerNorm. */
    OLMO("olmo", "OlmoForCausalLM"),
    /** OLMo 2: RMSNorm with weights after attention and MLP, QK-norm, untied head. */
    OLMO2("olmo2", "Olmo2ForCausalLM"),
    /** OLMo 3: OLMo 2 with sliding-window attention on some layers. */
    OLMO3("olmo3", "Olmo3ForCausalLM");

    private final String modelType;
    private final String hfClass;

    Family(String modelType, String hfClass) {
      this.modelType = modelType;
      this.hfClass = hfClass;
    }

    /** HF {@code model_type}. */
    public String modelType() {
      return modelType;
    }

    /** HF {@code architectures[0]}. */
    public String hfClass() {
      return hfClass;
    }
  }

  /** How a parameter starts: a (truncated) normal, or all ones (norm weights). */
  public sealed interface InitRule {
    /** Normal with {@code std}, redrawn outside ±{@code cutoffFactor}·σ (null: not truncated). */
    record Normal(double std, Double cutoffFactor) implements InitRule {}

    /** Every element 1. */
    record Ones() implements InitRule {}
  }

  /**
   * A unit of the layer-by-layer step (FSDP's wrapped module): the embedding, each block, or the
   * final norm with the untied LM head (empty for OLMo 1 with a tied head). Its parameters are
   * the contiguous flat range {@code range}; {@code block} is the block index, or -1.
   */
  public record Unit(String label, FlatLayout.Range range, List<String> params, int block) {}

  /** One parameter: its spec (name = HF tensor name, shape, kind) and its init rule. */
  public record Param(ParamSpec spec, InitRule init) {}

  /**
   * The parameter names block {@code layer} uses; a norm name is null where that norm has no
   * weight (OLMo 1's non-parametric LayerNorm) and {@code qNorm}/{@code kNorm} are null without
   * QK-norm. {@code window} is the attention window, or -1 for full causal attention.
   */
  public record Block(int layer, String q, String k, String v, String o, String qNorm,
      String kNorm, String attnNorm, String mlpNorm, String gate, String up, String down,
      int window) {}

  public static final String EMBED = "model.embed_tokens.weight";
  public static final String LM_HEAD = "lm_head.weight";
  public static final String FINAL_NORM = "model.norm.weight";

  private final ModelConfig cfg;
  private final List<Param> params = new ArrayList<>();
  private final Map<String, Param> byName = new LinkedHashMap<>();
  private final List<Block> blocks = new ArrayList<>();
  private final FlatLayout layout;

  private Architecture(ModelConfig cfg) {
    ArchitectureChecks.validate(cfg);
    this.cfg = cfg;
    long d = cfg.dModel();
    long qWidth = (long) cfg.nHeads() * cfg.headDim();
    long kvWidth = (long) cfg.kvHeads() * cfg.headDim();
    long f = cfg.ffHiddenSize();
    long v = cfg.paddedVocabSize();
    double inStd = 1.0 / Math.sqrt(d);
    add(EMBED, Kind.EMBEDDING, normal(inStd), v, d);
    for (int i = 0; i < cfg.nLayers(); i++) {
      String p = "model.layers." + i + ".";
      int depth = i + 1;
      Block b = new Block(i,
          add(p + "self_attn.q_proj.weight", Kind.LINEAR, normal(inStd), qWidth, d),
          add(p + "self_attn.k_proj.weight", Kind.LINEAR, normal(inStd), kvWidth, d),
          add(p + "self_attn.v_proj.weight", Kind.LINEAR, normal(inStd), kvWidth, d),
          add(p + "self_attn.o_proj.weight", Kind.LINEAR,
              normal(1.0 / Math.sqrt(2.0 * d * depth)), d, qWidth),
          cfg.attentionLayerNorm() && cfg.attentionLayerNormWithAffine()
              ? norm(p + "self_attn.q_norm.weight", qWidth) : null,
          cfg.attentionLayerNorm() && cfg.attentionLayerNormWithAffine()
              ? norm(p + "self_attn.k_norm.weight", kvWidth) : null,
          // HF's names: OLMo 2's norms sit after attention and MLP; pre-norm blocks (Llama's
          // wiring) call the MLP's input norm post_attention_layernorm.
          blockNorm(p + (cfg.normAfter() ? "post_attention_layernorm" : "input_layernorm")
              + ".weight", d),
          blockNorm(p + (cfg.normAfter() ? "post_feedforward_layernorm"
              : "post_attention_layernorm") + ".weight", d),
          add(p + "mlp.gate_proj.weight", Kind.LINEAR, normal(inStd), f, d),
          add(p + "mlp.up_proj.weight", Kind.LINEAR, normal(inStd), f, d),
          add(p + "mlp.down_proj.weight", Kind.LINEAR,
              normal(1.0 / Math.sqrt(2.0 * f * depth)), d, f),
          cfg.windowOf(i));
      blocks.add(b);
    }
    blockNorm(FINAL_NORM, d);
    if (!cfg.weightTying()) {
      add(LM_HEAD, Kind.EMBEDDING, normal(inStd), v, d);
    }
    this.layout = new FlatLayout(params.stream().map(Param::spec).toList());
  }

  /** The architecture {@code cfg} describes; rejects configs it cannot build, naming the key. */
  public static Architecture of(ModelConfig cfg) {
    return new Architecture(cfg);
  }

  public ModelConfig config() {
    return cfg;
  }

  /** Every parameter in the fixed flat order (HF names). */
  public List<Param> params() {
    return List.copyOf(params);
  }

  public List<ParamSpec> specs() {
    return layout.params();
  }

  public FlatLayout layout() {
    return layout;
  }

  public List<Block> blocks() {
    return List.copyOf(blocks);
  }

  /**
   * The units in flat order: {@code 0} the embedding, {@code 1..n_layers} the blocks, {@code
   * n_layers + 1} the final norm and LM head. Together they cover the flat vector exactly.
   */
  public List<Unit> units() {
    List<Unit> out = new ArrayList<>();
    List<ParamSpec> specs = layout.params();
    int p = 0;
    out.add(unit("embedding", List.of(specs.get(p++)), -1));
    for (Block b : blocks) {
      String prefix = "model.layers." + b.layer() + ".";
      List<ParamSpec> mine = new ArrayList<>();
      while (p < specs.size() && specs.get(p).name().startsWith(prefix)) {
        mine.add(specs.get(p++));
      }
      out.add(unit("block " + b.layer(), mine, b.layer()));
    }
    out.add(unit("head", specs.subList(p, specs.size()), -1));
    return List.copyOf(out);
  }

  private Unit unit(String label, List<ParamSpec> specs, int block) {
    long start = specs.isEmpty() ? layout.totalElements() : layout.offsetOf(specs.get(0).name());
    long n = specs.stream().mapToLong(ParamSpec::numel).sum();
    return new Unit(label, new FlatLayout.Range(start, start + n),
        specs.stream().map(ParamSpec::name).toList(), block);
  }

  /** The output projection: the tied embedding or {@code lm_head.weight}. */
  public String head() {
    return cfg.weightTying() ? EMBED : LM_HEAD;
  }

  /** The final norm's weight, or null when norms have none (OLMo 1). */
  public String finalNorm() {
    return byName.containsKey(FINAL_NORM) ? FINAL_NORM : null;
  }

  public InitRule initRule(String name) {
    Param p = byName.get(name);
    if (p == null) {
      throw new IllegalArgumentException("no parameter named " + name);
    }
    return p.init();
  }

  /** The HF class of this config, or an error naming the keys that match none. */
  public Family family() {
    return ArchitectureChecks.family(cfg);
  }

  /**
   * One line for people: the family (or that none fits) and what its blocks do, e.g. {@code
   * olmo2 (Olmo2ForCausalLM): rms norm with weights after attention and MLP, QK-norm, 32 heads
   * / 8 KV heads, full attention}.
   */
  public String describe() {
    String name;
    try {
      Family f = family();
      name = f.modelType() + " (" + f.hfClass() + ")";
    } catch (IllegalArgumentException e) {
      name = "custom (no Hugging Face class)";
    }
    String norm = cfg.layerNormType().yamlName() + " norm"
        + (cfg.layerNormWithAffine() ? " with weights" : " without weights")
        + (cfg.normAfter() ? " after attention and MLP" : " before attention and MLP");
    String windows = ArchitectureChecks.windowed(cfg)
        ? "sliding windows " + cfg.slidingWindow().pattern()
            + (cfg.windowOf(cfg.nLayers() - 1) < 0 ? " (full attention on the last layer)" : "")
        : "full attention";
    return name + ": " + norm + (cfg.attentionLayerNorm() ? ", QK-norm" : "")
        + ", " + cfg.nHeads() + " heads / " + cfg.kvHeads() + " KV heads, " + windows;
  }

  /** Parameters of the transformer blocks and the final norm: all but embedding and lm_head. */
  public long nonEmbeddingParams() {
    long embeddings = (long) cfg.paddedVocabSize() * cfg.dModel() * (cfg.weightTying() ? 1 : 2);
    return layout.totalElements() - embeddings;
  }

  /**
   * Training FLOPs per token (forward + backward), the PaLM / OLMo MFU convention:
   * {@code 6·(N_non-embedding + N_head) + 12·n_layers·d_model·seqLen}. The head term counts the
   * output projection whether tied or not (the input lookup costs no FLOPs); the last term is
   * the attention score and value matmuls at full causal length.
   */
  public long flopsPerToken(int seqLen) {
    long head = (long) cfg.paddedVocabSize() * cfg.dModel();
    long attention = 12L * cfg.nLayers() * cfg.dModel() * seqLen;
    return 6 * (nonEmbeddingParams() + head) + attention;
  }

  private String add(String name, Kind kind, InitRule init, long... shape) {
    Param p = new Param(new ParamSpec(name, shape, kind), init);
    params.add(p);
    byName.put(name, p);
    return name;
  }

  /** A block or final norm's weight when norms have weights, else null (nothing to train). */
  private String blockNorm(String name, long width) {
    return cfg.layerNormWithAffine() ? norm(name, width) : null;
  }

  private String norm(String name, long width) {
    return add(name, Kind.NORM, new InitRule.Ones(), width);
  }

  /** OLMo's rule: mitchell uses the given std truncated at 3σ; normal uses init_std for all. */
  private InitRule normal(double mitchellStd) {
    if (cfg.initFn() == InitFn.NORMAL) {
      return new InitRule.Normal(cfg.initStd(), cfg.initCutoffFactor());
    }
    return new InitRule.Normal(mitchellStd,
        cfg.initCutoffFactor() != null ? cfg.initCutoffFactor() : 3.0);
  }
}
