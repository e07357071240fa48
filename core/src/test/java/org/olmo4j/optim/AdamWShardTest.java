package org.olmo4j.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.olmo4j.config.OptimizerConfig;
import org.olmo4j.config.OptimizerName;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.model.ParamSpec;
import org.olmo4j.model.ParamSpec.Kind;

class AdamWShardTest {

  // 8 embedding + 6 + 4 linear + 3 norm = 21 elements.
  private static final FlatLayout LAYOUT = new FlatLayout(List.of(
      new ParamSpec("model.embed_tokens.weight", new long[] {4, 2}, Kind.EMBEDDING),
      new ParamSpec("model.layers.0.self_attn.q_proj.weight", new long[] {2, 3}, Kind.LINEAR),
      new ParamSpec("model.layers.0.mlp.up_proj.weight", new long[] {2, 2}, Kind.LINEAR),
      new ParamSpec("model.norm.weight", new long[] {3}, Kind.NORM)));

  private static OptimizerConfig cfg(boolean decayNormAndBias, boolean decayEmbeddings) {
    return new OptimizerConfig(OptimizerName.ADAMW, 4e-4, 0.1, List.of(0.9, 0.95), 1e-8,
        decayNormAndBias, decayEmbeddings);
  }

  private static float init(int i) {
    return (float) (0.05 * (i % 7) - 0.13 + 0.01 * i);
  }

  private static float grad(int step, int i) {
    return (float) (Math.sin(1.3 * i + 0.7 * step) * (1 + 0.1 * step));
  }

  private static final double[] LRS = {1e-4, 4e-4, 3e-4};
  private static final double[] SCALES = {1.0, 0.5, 0.8};

  /** torch.optim.AdamW for one element, in double. */
  private static double[] reference(int i, double weightDecay) {
    double p = init(i), m = 0, v = 0;
    double b1 = 0.9, b2 = 0.95, eps = 1e-8;
    for (int t = 1; t <= 3; t++) {
      double lr = LRS[t - 1];
      double g = grad(t, i) * SCALES[t - 1];
      p *= 1 - lr * weightDecay;
      m = b1 * m + (1 - b1) * g;
      v = b2 * v + (1 - b2) * g * g;
      double bc1 = 1 - Math.pow(b1, t);
      double bc2 = 1 - Math.pow(b2, t);
      double denom = Math.sqrt(v) / Math.sqrt(bc2) + eps;
      p -= lr / bc1 * m / denom;
    }
    return new double[] {p, m, v};
  }

  private static AdamWShard run(FlatLayout.Range range, OptimizerConfig cfg) {
    AdamWShard opt = new AdamWShard(LAYOUT, range, cfg);
    int n = (int) range.length();
    for (int k = 0; k < n; k++) {
      opt.master()[k] = init((int) range.start() + k);
    }
    for (int t = 1; t <= 3; t++) {
      float[] g = new float[n];
      for (int k = 0; k < n; k++) {
        g[k] = grad(t, (int) range.start() + k);
      }
      opt.step(g, LRS[t - 1], SCALES[t - 1], t);
    }
    return opt;
  }

  private static void assertClose(double expected, float actual, String what) {
    double tol = 1e-6 * Math.max(Math.abs(expected), 1e-3);
    assertEquals(expected, actual, tol, what);
  }

  @Test
  void threeStepsMatchTorchFormula() {
    AdamWShard opt = run(new FlatLayout.Range(0, 21), cfg(false, false));
    for (int i = 0; i < 21; i++) {
      boolean decay = i >= 8 && i < 18; // linear weights only, by default
      double[] ref = reference(i, decay ? 0.1 : 0.0);
      assertClose(ref[0], opt.master()[i], "param " + i);
      assertClose(ref[1], opt.expAvg()[i], "exp_avg " + i);
      assertClose(ref[2], opt.expAvgSq()[i], "exp_avg_sq " + i);
    }
  }

  @Test
  void embeddingNotDecayedByDefaultButWhenAsked() {
    AdamWShard plain = run(new FlatLayout.Range(0, 21), cfg(false, false));
    AdamWShard all = run(new FlatLayout.Range(0, 21), cfg(true, true));
    for (int i = 0; i < 21; i++) {
      assertClose(reference(i, 0.1)[0], all.master()[i], "decayed param " + i);
    }
    // Decay shrinks the embedding weights; without it they differ measurably.
    assertEquals(false, plain.master()[3] == all.master()[3]);
  }

  @Test
  void decayRunsMergeAdjacentGroups() {
    AdamWShard opt = new AdamWShard(LAYOUT, new FlatLayout.Range(5, 20), cfg(false, false));
    assertEquals(List.of(
        new AdamWShard.DecayRun(0, 3, false),
        new AdamWShard.DecayRun(3, 13, true),
        new AdamWShard.DecayRun(13, 15, false)), opt.decayRuns());
    AdamWShard decayAll = new AdamWShard(LAYOUT, new FlatLayout.Range(0, 21), cfg(true, true));
    assertEquals(List.of(new AdamWShard.DecayRun(0, 21, true)), decayAll.decayRuns());
  }

  @Test
  void shardsComputeExactlyWhatTheWholeVectorComputes() {
    AdamWShard whole = run(new FlatLayout.Range(0, 21), cfg(false, false));
    for (int n : new int[] {2, 3, 4}) {
      for (int r = 0; r < n; r++) {
        FlatLayout.Range range = LAYOUT.shardRange(r, n);
        AdamWShard part = run(range, cfg(false, false));
        int from = (int) range.start();
        int to = (int) range.end();
        assertArrayEquals(java.util.Arrays.copyOfRange(whole.master(), from, to), part.master());
        assertArrayEquals(java.util.Arrays.copyOfRange(whole.expAvgSq(), from, to), part.expAvgSq());
      }
    }
  }
}
