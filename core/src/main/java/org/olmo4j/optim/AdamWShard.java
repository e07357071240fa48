package org.olmo4j.optim;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.DoubleConsumer;
import org.olmo4j.config.OptimizerConfig;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.model.ParamSpec;
import org.olmo4j.model.ShardPlan;

/**
 * torch.optim.AdamW on one flat shard: fp32 master weights and moments for a range of the flat
 * parameter vector, with OLMo's decay / no-decay parameter groups.
 *
 * <p>The arithmetic follows torch's single-tensor CPU path operation by operation, in fp32:
 * {@code p·(1−lr·wd)}, {@code m.lerp_(g, 1−β1)} (fused multiply-add, as torch's vector kernel), {@code v·β2 + (1−β2)·g·g},
 * {@code denom = sqrt(v)/sqrt(1−β2^t) + eps}, {@code p − (lr/(1−β1^t))·m/denom}.
 */
public final class AdamWShard {

  /** Elements {@code [from, to)} of the shard, all in the decay group or all in the no-decay group. */
  public record DecayRun(int from, int to, boolean decay) {}

  private final ShardPlan plan;
  private final OptimizerConfig cfg;
  private final List<DecayRun> runs;
  private final float[] master;
  private final float[] expAvg;
  private final float[] expAvgSq;
  /** A reader of the state (a checkpoint's snapshot copy) the next update waits for. */
  private volatile Hold hold;

  /** {@code reading} ends when the reader is done; {@code waited} is told how long step waited. */
  private record Hold(CompletableFuture<?> reading, DoubleConsumer waited) {}

  public AdamWShard(FlatLayout layout, FlatLayout.Range range, OptimizerConfig cfg) {
    this(layout, ShardPlan.ofPieces(List.of(range)), cfg);
  }

  /** The optimizer of the pieces of {@code plan}, concatenated in its order. */
  public AdamWShard(FlatLayout layout, ShardPlan plan, OptimizerConfig cfg) {
    if (plan.length() >= Integer.MAX_VALUE) {
      throw new IllegalArgumentException("shard " + plan + " has " + plan.length()
          + " elements; a shard must hold fewer than 2^31 (use more ranks)");
    }
    this.plan = plan;
    this.cfg = cfg;
    this.runs = decayRuns(layout, plan, cfg);
    int n = (int) plan.length();
    this.master = new float[n];
    this.expAvg = new float[n];
    this.expAvgSq = new float[n];
  }

  /** OLMo's groups: linear weights decay; embeddings and norms/biases only when configured to. */
  static boolean decays(ParamSpec.Kind kind, OptimizerConfig cfg) {
    return switch (kind) {
      case LINEAR -> true;
      case EMBEDDING -> cfg.decayEmbeddings();
      case NORM, BIAS -> cfg.decayNormAndBias();
    };
  }

  private static List<DecayRun> decayRuns(FlatLayout layout, ShardPlan plan, OptimizerConfig cfg) {
    List<DecayRun> out = new ArrayList<>();
    long at = 0;
    for (FlatLayout.Range range : plan.pieces()) {
      for (FlatLayout.Segment s : layout.segments(range)) {
        int from = (int) (at + s.flatOffset() - range.start());
        int to = (int) (from + s.length());
        boolean decay = decays(s.param().kind(), cfg);
        DecayRun last = out.isEmpty() ? null : out.get(out.size() - 1);
        if (last != null && last.decay() == decay && last.to() == from) {
          out.set(out.size() - 1, new DecayRun(last.from(), to, decay));
        } else {
          out.add(new DecayRun(from, to, decay));
        }
      }
      at += range.length();
    }
    return List.copyOf(out);
  }

  /**
   * One AdamW step at optimizer step {@code step} (1-based, torch's {@code state['step']} after
   * its increment). {@code gradScale} is the clip coefficient; the gradient array is not modified.
   */
  public void step(float[] gradShard, double lr, double gradScale, long step) {
    awaitReader();
    if (gradShard.length != master.length) {
      throw new IllegalArgumentException("gradient shard has " + gradShard.length
          + " elements, the optimizer shard " + plan + " has " + master.length);
    }
    if (step < 1) {
      throw new IllegalArgumentException("optimizer step must be ≥ 1, got " + step);
    }
    double beta1 = cfg.beta1();
    double beta2 = cfg.beta2();
    // torch computes these scalars in double (Python floats) and casts them to fp32 in the kernels.
    double bc1 = 1 - Math.pow(beta1, step);
    double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
    Consts c = new Consts(
        (float) gradScale, (float) (1 - beta1), (float) beta2, (float) (1 - beta2),
        (float) bc2Sqrt, (float) cfg.eps(), (float) -(lr / bc1));
    float decayFactor = (float) (1 - lr * cfg.weightDecay());
    for (DecayRun r : runs) {
      update(gradShard, r.from(), r.to(), r.decay() ? decayFactor : 1f, c);
    }
  }

  private record Consts(float scale, float lerpWeight, float beta2, float oneMinusBeta2,
      float bc2Sqrt, float eps, float negStepSize) {}

  private void update(float[] grad, int from, int to, float decayFactor, Consts c) {
    final float[] p = master;
    final float[] m = expAvg;
    final float[] v = expAvgSq;
    final float scale = c.scale();
    final float w = c.lerpWeight();
    // torch's vectorised lerp: fma(w, end−self, self) for |w| < 0.5, else fma(w−1, end−self, end).
    final boolean lerpFromStart = Math.abs(w) < 0.5f;
    final float coeff = lerpFromStart ? w : w - 1f;
    final float b2 = c.beta2();
    final float omb2 = c.oneMinusBeta2();
    final float bc2Sqrt = c.bc2Sqrt();
    final float eps = c.eps();
    final float negStep = c.negStepSize();
    for (int i = from; i < to; i++) {
      float g = grad[i] * scale;
      float mi = m[i];
      mi = Math.fma(coeff, g - mi, lerpFromStart ? mi : g);
      float vi = v[i] * b2;
      vi = vi + omb2 * g * g;
      float denom = (float) Math.sqrt(vi) / bc2Sqrt + eps;
      p[i] = p[i] * decayFactor + negStep * mi / denom;
      m[i] = mi;
      v[i] = vi;
    }
  }

  /**
   * Lets another thread read the live arrays until {@code reading} completes (a checkpoint copies
   * them while the next step's forward and backward run, which leave them alone): the next
   * {@link #step} waits for it first and tells {@code waited} how long it waited (0 when it was
   * done), the training stall such a copy costs.
   */
  public void holdUntil(CompletableFuture<?> reading, DoubleConsumer waited) {
    awaitReader(); // one reader at a time: a second checkpoint before any step waits for the first
    hold = new Hold(reading, waited);
  }

  private void awaitReader() {
    Hold h = hold;
    if (h == null) {
      return;
    }
    long t0 = System.nanoTime();
    h.reading().handle((v, e) -> null).join(); // a failed copy fails its checkpoint, not the step
    h.waited().accept((System.nanoTime() - t0) / 1e9);
    hold = null;
  }

  /** Replaces the shard's state (for checkpoint loading); arrays are copied. */
  public void load(float[] masterIn, float[] expAvgIn, float[] expAvgSqIn) {
    awaitReader();
    copyInto(masterIn, master, "master");
    copyInto(expAvgIn, expAvg, "exp_avg");
    copyInto(expAvgSqIn, expAvgSq, "exp_avg_sq");
  }

  private void copyInto(float[] src, float[] dst, String what) {
    if (src.length != dst.length) {
      throw new IllegalArgumentException(what + " has " + src.length + " elements, shard " + plan
          + " needs " + dst.length);
    }
    System.arraycopy(src, 0, dst, 0, dst.length);
  }

  /** The flat pieces this optimizer holds, in the order of its arrays. */
  public ShardPlan plan() {
    return plan;
  }

  public List<DecayRun> decayRuns() {
    return runs;
  }

  /** The live fp32 master weights of this shard (written by {@link #step}). */
  public float[] master() {
    return master;
  }

  /** The live first moment ({@code exp_avg}). */
  public float[] expAvg() {
    return expAvg;
  }

  /** The live second moment ({@code exp_avg_sq}). */
  public float[] expAvgSq() {
    return expAvgSq;
  }
}
