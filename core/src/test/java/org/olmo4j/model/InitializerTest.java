package org.olmo4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.olmo4j.config.InitFn;
import org.olmo4j.config.LayerNormType;
import org.olmo4j.config.ModelConfig;

class InitializerTest {

  /** Std of a standard normal truncated at ±3: sqrt(1 − 2·3·φ(3) / (2Φ(3) − 1)). */
  private static final double TRUNC3 = 0.98658;

  private static final ModelConfig CFG = TestConfigs.sized(256, 4, 3, 512, 16, false);
  private static final FlatLayout LAYOUT = FlatLayout.of(CFG);

  @Test
  void mitchellStdsAndTruncationPerParameter() {
    float[] flat = Initializer.initialFlat(CFG, LAYOUT, 42);
    double in = 1 / Math.sqrt(256);
    int ff = CFG.ffHiddenSize();
    check(flat, "model.embed_tokens.weight", in);
    check(flat, "lm_head.weight", in);
    check(flat, "model.layers.0.self_attn.q_proj.weight", in);
    check(flat, "model.layers.2.mlp.up_proj.weight", in);
    check(flat, "model.layers.0.self_attn.o_proj.weight", in / Math.sqrt(2));
    check(flat, "model.layers.2.self_attn.o_proj.weight", in / Math.sqrt(6));
    check(flat, "model.layers.1.mlp.down_proj.weight", 1 / Math.sqrt(ff) / Math.sqrt(4));
  }

  private static void check(float[] flat, String name, double sigma) {
    int off = (int) LAYOUT.offsetOf(name);
    int n = (int) LAYOUT.param(name).numel();
    double sum = 0;
    double sq = 0;
    double maxAbs = 0;
    for (int i = off; i < off + n; i++) {
      sum += flat[i];
      sq += (double) flat[i] * flat[i];
      maxAbs = Math.max(maxAbs, Math.abs(flat[i]));
    }
    double mean = sum / n;
    double std = Math.sqrt(sq / n - mean * mean);
    assertEquals(sigma * TRUNC3, std, 0.02 * sigma, name + " std");
    assertEquals(0, mean, 5 * sigma / Math.sqrt(n), name + " mean");
    assertTrue(maxAbs <= 3 * sigma + 1e-6, name + " exceeds ±3σ: " + maxAbs);
    assertTrue(maxAbs > 2.5 * sigma, name + " tails missing: " + maxAbs);
  }

  @Test
  void deterministicPerSeedAndIndependentPerParameter() {
    float[] a = Initializer.initialFlat(CFG, LAYOUT, 7);
    assertArrayEquals(a, Initializer.initialFlat(CFG, LAYOUT, 7));
    assertFalse(Arrays.equals(a, Initializer.initialFlat(CFG, LAYOUT, 8)));
    String name = "model.layers.1.mlp.gate_proj.weight";
    int off = (int) LAYOUT.offsetOf(name);
    float[] slice = Arrays.copyOfRange(a, off, off + (int) LAYOUT.param(name).numel());
    assertArrayEquals(slice, Initializer.initialParam(CFG, LAYOUT, 7, name));
  }

  @Test
  void normalInitUsesInitStdAndOptionalCutoff() {
    ModelConfig plain = new ModelConfig(64, 2, 1, 8, null, 256, 256, 8, 10000.0, true,
        InitFn.NORMAL, 0.02, null, LayerNormType.DEFAULT, false, false, null, 0, 1);
    FlatLayout layout = FlatLayout.of(plain);
    float[] flat = Initializer.initialFlat(plain, layout, 1);
    double sq = 0;
    double maxAbs = 0;
    for (float v : flat) {
      sq += (double) v * v;
      maxAbs = Math.max(maxAbs, Math.abs(v));
    }
    assertEquals(0.02, Math.sqrt(sq / flat.length), 0.0004);
    assertTrue(maxAbs > 3.5 * 0.02, "an untruncated normal over 80k draws exceeds 3.5σ");

    ModelConfig cut = new ModelConfig(64, 2, 1, 8, null, 256, 256, 8, 10000.0, true,
        InitFn.NORMAL, 0.02, 2.0, LayerNormType.DEFAULT, false, false, null, 0, 1);
    for (float v : Initializer.initialFlat(cut, layout, 1)) {
      assertTrue(Math.abs(v) <= 0.04 + 1e-7, "value beyond the cutoff: " + v);
    }
  }
}
