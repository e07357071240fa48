package org.olmo4j.model;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.olmo4j.config.ModelConfig;
import org.olmo4j.model.Architecture.InitRule;

/**
 * OLMo's parameter initialisation (the rules come from {@link Architecture}), deterministic from
 * a seed and independent of DJL's RNG.
 *
 * <p>Parameter i (in layout order) draws from the i-th {@link SplittableRandom#split()} of
 * {@code new SplittableRandom(seed)}, so its values do not depend on how the flat vector is
 * sharded. Truncated normals are drawn by rejection, as {@code nn.init.trunc_normal_}.
 */
public final class Initializer {

  private Initializer() {}

  /** All parameters, initialised, as one flat vector in {@code layout} order. */
  public static float[] initialFlat(ModelConfig cfg, FlatLayout layout, long seed) {
    if (layout.totalElements() > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("Ψ = " + layout.totalElements()
          + " does not fit one Java array; initialise per parameter with initialParam");
    }
    float[] out = new float[(int) layout.totalElements()];
    Architecture arch = Architecture.of(cfg);
    SplittableRandom root = new SplittableRandom(seed);
    for (ParamSpec p : layout.params()) {
      fill(root.split(), arch.initRule(p.name()), out, (int) layout.offsetOf(p.name()), p.numel());
    }
    return out;
  }

  /** The initial values of one parameter, equal to its slice of {@link #initialFlat}. */
  public static float[] initialParam(ModelConfig cfg, FlatLayout layout, long seed, String name) {
    List<ParamSpec> params = layout.params();
    Architecture arch = Architecture.of(cfg);
    SplittableRandom root = new SplittableRandom(seed);
    for (ParamSpec p : params) {
      SplittableRandom r = root.split();
      if (p.name().equals(name)) {
        float[] out = new float[Math.toIntExact(p.numel())];
        fill(r, arch.initRule(name), out, 0, p.numel());
        return out;
      }
    }
    throw new IllegalArgumentException("no parameter named " + name);
  }

  private static void fill(SplittableRandom r, InitRule rule, float[] out, int off, long n) {
    if (rule instanceof InitRule.Ones) {
      Arrays.fill(out, off, Math.toIntExact(off + n), 1f);
      return;
    }
    InitRule.Normal normal = (InitRule.Normal) rule;
    Double c = normal.cutoffFactor();
    for (int i = 0; i < n; i++) {
      double z = r.nextGaussian();
      while (c != null && Math.abs(z) > c) {
        z = r.nextGaussian();
      }
      out[off + i] = (float) (z * normal.std());
    }
  }
}
