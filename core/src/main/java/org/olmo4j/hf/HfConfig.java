package org.olmo4j.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.olmo4j.config.InitFn;
import org.olmo4j.config.LayerNormType;
import org.olmo4j.config.ModelConfig;
import org.olmo4j.model.Architecture;
import org.olmo4j.model.Architecture.Family;
import org.olmo4j.model.ParamSpec;

/** {@link ModelConfig} ↔ Hugging Face {@code config.json} of {@code OlmoForCausalLM}, {@code Olmo2ForCausalLM}, {@code Olmo3ForCausalLM}. */
public final class HfConfig {

  public static final String FILE = "config.json";
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private HfConfig() {}

  /**
   * The {@code config.json} object for {@code c}: {@code OlmoForCausalLM}, {@code
   * Olmo2ForCausalLM} or {@code Olmo3ForCausalLM} as its {@link Architecture.Family}; refuses
   * models none of them can represent.
   */
  public static ObjectNode toJson(ModelConfig c) {
    Family family = Architecture.of(c).family();
    ObjectNode n = JSON.createObjectNode();
    n.putArray("architectures").add(family.hfClass());
    n.put("model_type", family.modelType());
    n.put("hidden_size", c.dModel());
    n.put("intermediate_size", c.ffHiddenSize());
    n.put("num_attention_heads", c.nHeads());
    n.put("num_hidden_layers", c.nLayers());
    n.put("num_key_value_heads", c.kvHeads());
    n.put("max_position_embeddings", c.maxSequenceLength());
    n.put("rope_theta", c.ropeTheta());
    n.putNull("rope_scaling");
    n.put("attention_bias", false);
    n.put("attention_dropout", 0.0);
    if (family == Family.OLMO) {
      if (c.clipQkv() == null) {
        n.putNull("clip_qkv");
      } else {
        n.put("clip_qkv", c.clipQkv());
      }
    } else {
      n.put("rms_norm_eps", c.layerNormEps());
    }
    if (family == Family.OLMO3) {
      HfLayerTypes.write(c, n);
    }
    n.put("hidden_act", "silu");
    n.put("initializer_range", c.initStd());
    n.put("tie_word_embeddings", c.weightTying());
    n.put("vocab_size", c.paddedVocabSize());
    n.put("pad_token_id", c.padTokenId());
    n.put("eos_token_id", c.eosTokenId());
    n.putNull("bos_token_id");
    n.put("torch_dtype", "float32");
    n.put("use_cache", true);
    return n;
  }

  /** Writes {@code dir/config.json}. */
  public static void write(ModelConfig c, Path dir) throws IOException {
    Files.createDirectories(dir);
    JSON.writeValue(dir.resolve(FILE).toFile(), toJson(c));
  }

  /**
   * Reads an HF {@code config.json}. Fields HF does not carry (unpadded vocab size, init, …) come
   * from {@code base} when given, else OLMo's defaults (vocab 50280 when HF says 50304).
   */
  public static ModelConfig read(Path configJson, ModelConfig base) throws IOException {
    JsonNode n;
    try {
      n = JSON.readTree(configJson.toFile());
    } catch (IOException e) {
      throw new IOException(configJson + " is not valid JSON: " + e.getMessage(), e);
    }
    if (n == null || !n.isObject()) {
      throw new IOException(configJson + " is not a JSON object");
    }
    return fromJson(n, configJson.toString(), base);
  }

  static ModelConfig fromJson(JsonNode n, String source, ModelConfig base) {
    Keys k = new Keys(n, source);
    Family family = switch (k.text("model_type", "olmo")) {
      case "olmo" -> Family.OLMO;
      case "olmo2" -> Family.OLMO2;
      case "olmo3" -> Family.OLMO3;
      default -> throw k.refuse("model_type", "olmo4j reads OLMo models: \"olmo\", \"olmo2\" or "
          + "\"olmo3\"");
    };
    if (!"silu".equals(k.text("hidden_act", "silu"))) {
      throw k.refuse("hidden_act", "olmo4j's MLP is SwiGLU (\"silu\")");
    }
    if (k.bool("attention_bias", false)) {
      throw k.refuse("attention_bias", "olmo4j models have no attention biases");
    }
    if (n.hasNonNull("rope_scaling")) {
      throw k.refuse("rope_scaling", "RoPE scaling is not supported");
    }
    int d = k.integer("hidden_size", null);
    int heads = k.integer("num_attention_heads", null);
    if (d % heads != 0) {
      throw k.refuse("hidden_size", "must be divisible by num_attention_heads=" + heads);
    }
    int kvHeads = k.integer("num_key_value_heads", heads);
    if (kvHeads <= 0 || heads % kvHeads != 0) {
      throw k.refuse("num_key_value_heads", "must divide num_attention_heads=" + heads);
    }
    if (n.hasNonNull("head_dim") && k.integer("head_dim", null) != d / heads) {
      throw k.refuse("head_dim", "must be hidden_size / num_attention_heads = " + d / heads);
    }
    int inter = k.integer("intermediate_size", null);
    int ratio = base != null ? base.mlpRatio() : (2 * inter % d == 0 ? 2 * inter / d : 8);
    Integer mlpHidden = ratio * d == 2 * inter ? null : 2 * inter;
    int hfVocab = k.integer("vocab_size", null);
    int vocab = base != null ? base.vocabSize() : (hfVocab == 50304 ? 50280 : hfVocab);
    if (vocab > hfVocab) {
      throw k.refuse("vocab_size", "is smaller than the tokenizer's vocabulary of " + vocab);
    }
    Integer embedding = hfVocab == vocab && (base == null || base.embeddingSize() == null) ? null : hfVocab;
    boolean olmo1 = family == Family.OLMO;
    if (olmo1 && kvHeads != heads) {
      throw k.refuse("num_key_value_heads", "OlmoForCausalLM has multi-head attention (must "
          + "equal num_attention_heads=" + heads + "); grouped-query OLMo is olmo2 / olmo3");
    }
    Double clip = olmo1 && n.hasNonNull("clip_qkv") ? k.number("clip_qkv", null) : null;
    int layers = k.integer("num_hidden_layers", null);
    return new ModelConfig(d, heads, layers, ratio, mlpHidden, vocab, embedding,
        k.integer("max_position_embeddings", base != null ? base.maxSequenceLength() : 2048),
        k.number("rope_theta", 10000.0),
        k.bool("tie_word_embeddings", base != null ? base.weightTying() : olmo1),
        base != null ? base.initFn() : InitFn.NORMAL,
        k.number("initializer_range", base != null ? base.initStd() : 0.02),
        base != null ? base.initCutoffFactor() : null,
        olmo1 ? (base != null && !base.layerNormType().isRms() ? base.layerNormType()
            : LayerNormType.DEFAULT) : LayerNormType.RMS,
        !olmo1, false, clip,
        k.integer("eos_token_id", base != null ? Integer.valueOf(base.eosTokenId())
            : vocab == 50280 ? Integer.valueOf(50279) : null),
        k.integer("pad_token_id", base != null ? base.padTokenId() : 1),
        kvHeads == heads && (base == null || base.nKvHeads() == null) ? null : kvHeads,
        olmo1 ? 1e-5 : k.number("rms_norm_eps", 1e-6),
        !olmo1, true, !olmo1,
        family == Family.OLMO3 ? HfLayerTypes.read(k.n(), source, layers) : null);
  }

  /** Typed access to config.json keys with errors naming the file and key. */
  record Keys(JsonNode n, String source) {
    IllegalArgumentException refuse(String key, String why) {
      return new IllegalArgumentException(source + ": " + key + "=" + n.get(key) + " cannot be used: " + why);
    }

    private JsonNode get(String key, Object dflt) {
      JsonNode v = n.get(key);
      if ((v == null || v.isNull()) && dflt == null) {
        throw new IllegalArgumentException(source + ": required key " + key + " is missing");
      }
      return v == null || v.isNull() ? null : v;
    }

    int integer(String key, Integer dflt) {
      JsonNode v = get(key, dflt);
      if (v == null) {
        return dflt;
      }
      if (!v.canConvertToInt() || !v.isIntegralNumber()) {
        throw new IllegalArgumentException(source + ": " + key + " must be an integer, got " + v);
      }
      return v.intValue();
    }

    double number(String key, Double dflt) {
      JsonNode v = get(key, dflt);
      if (v == null) {
        return dflt;
      }
      if (!v.isNumber()) {
        throw new IllegalArgumentException(source + ": " + key + " must be a number, got " + v);
      }
      return v.doubleValue();
    }

    boolean bool(String key, boolean dflt) {
      JsonNode v = n.get(key);
      if (v == null || v.isNull()) {
        return dflt;
      }
      if (!v.isBoolean()) {
        throw new IllegalArgumentException(source + ": " + key + " must be true or false, got " + v);
      }
      return v.booleanValue();
    }

    String text(String key, String dflt) {
      JsonNode v = n.get(key);
      return v == null || v.isNull() ? dflt : v.asText();
    }
  }

  /** The tensors of {@code c}'s HF class, by HF name, with their shapes (its architecture's). */
  public static Map<String, long[]> expectedTensors(ModelConfig c) {
    Map<String, long[]> m = new LinkedHashMap<>();
    for (ParamSpec p : Architecture.of(c).specs()) {
      m.put(p.name(), p.shape());
    }
    return m;
  }
}
