package org.olmo4j.model;

import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.olmo4j.config.InitFn;
import org.olmo4j.config.ModelConfig;

/**
 * OLMo-1's parameter initialisation, deterministic from a seed and independent of DJL's RNG.
 *
 * <p>Parameter i (in layout order) draws from the i-th {@link SplittableRandom#split()} of
 * {@code new SplittableRandom(seed)}, so its values do not depend on how the flat vector is
 * sharded. Truncated normals are drawn by rejection, as {@code nn.init.trunc_normal_}.
 */
public final class Initializer {

  private static final Pattern LAYER =
      Pattern.compile("model\\.layers\\.(\\d+)\\.(?:self_attn|mlp)\\.(\\w+)\\.weight");

  /** Standard deviation and truncation (in units of σ; {@code null} = plain normal). */
  public record Rule(double std, Double cutoffFactor) {}

  private Initializer() {}

  /** All parameters, initialised, as one flat vector in {@code layout} order. */
  public static float[] initialFlat(ModelConfig cfg, FlatLayout layout, long seed) {
    if (layout.totalElements() > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("Ψ = " + layout.totalElements()
          + " does not fit one Java array; initialise per parameter with initialParam");
    }
    float[] out = new float[(int) layout.totalElements()];
    SplittableRandom root = new SplittableRandom(seed);
    for (ParamSpec p : layout.params()) {
      fill(root.split(), rule(cfg, p.name()), out, (int) layout.offsetOf(p.name()), p.numel());
    }
    return out;
  }

  /** The initial values of one parameter, equal to its slice of {@link #initialFlat}. */
  public static float[] initialParam(ModelConfig cfg, FlatLayout layout, long seed, String name) {
    List<ParamSpec> params = layout.params();
    SplittableRandom root = new SplittableRandom(seed);
    for (ParamSpec p : params) {
      SplittableRandom r = root.split();
      if (p.name().equals(name)) {
        float[] out = new float[Math.toIntExact(p.numel())];
        fill(r, rule(cfg, name), out, 0, p.numel());
        return out;
      }
    }
    throw new IllegalArgumentException("no parameter named " + name);
  }

  /** OLMo-1's rule for one parameter ({@code OLMo.reset_parameters} and the block's). */
  public static Rule rule(ModelConfig cfg, String name) {
    if (cfg.initFn() == InitFn.NORMAL) {
      return new Rule(cfg.initStd(), cfg.initCutoffFactor());
    }
    double cutoff = cfg.initCutoffFactor() != null ? cfg.initCutoffFactor() : 3.0;
    double inStd = 1.0 / Math.sqrt(cfg.dModel());
    if (name.equals(OlmoSpecs.EMBED) || name.equals(OlmoSpecs.LM_HEAD)) {
      return new Rule(inStd, cutoff);
    }
    Matcher m = LAYER.matcher(name);
    if (!m.matches()) {
      throw new IllegalArgumentException("no init rule for parameter " + name);
    }
    int depth = Integer.parseInt(m.group(1)) + 1;
    return switch (m.group(2)) {
      case "q_proj", "k_proj", "v_proj", "gate_proj", "up_proj" -> new Rule(inStd, cutoff);
      case "o_proj" -> new Rule(1.0 / Math.sqrt(2.0 * cfg.dModel() * depth), cutoff);
      case "down_proj" -> new Rule(1.0 / Math.sqrt(2.0 * cfg.ffHiddenSize() * depth), cutoff);
      default -> throw new IllegalArgumentException("no init rule for parameter " + name);
    };
  }

  private static void fill(SplittableRandom r, Rule rule, float[] out, int off, long n) {
    Double c = rule.cutoffFactor();
    for (int i = 0; i < n; i++) {
      double z = r.nextGaussian();
      while (c != null && Math.abs(z) > c) {
        z = r.nextGaussian();
      }
      out[off + i] = (float) (z * rule.std());
    }
  }
}
