package org.olmo4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import org.olmo4j.config.ActivationCheckpointing;

/**
 * Forward and backward of one micro-batch unit by unit (embedding, each block, final norm + LM
 * head), the way FSDP and activation checkpointing run a model.
 *
 * <p>Forward: each block gets its input detached. A checkpointed block runs without recording
 * (only its input is kept); any other block records its own graph (its input is a leaf that
 * requires a gradient). The head computes the loss and back-propagates at once. Backward then
 * walks the blocks in reverse: a checkpointed block is recomputed from its input with recording
 * on, and {@code y.backward(dy)} yields the block's parameter gradients and {@code dx}, the
 * {@code dy} of the block below; the embedding comes last. Every intermediate a block creates is
 * closed with it ({@link NDScope}), so a checkpointed block holds nothing but its input between
 * its forward and its backward.
 *
 * <p>The {@link Units} callbacks bracket each unit's compute: a sharded step gathers the unit's
 * parameters before and reduce-scatters its gradients after. Units are numbered as {@link
 * Architecture#units()}: 0 the embedding, 1..n the blocks, n+1 the head. The head's forward and
 * backward are one piece ({@code beforeForward(n+1)} … {@code afterBackward(n+1)}).
 *
 * <p>Runs on the model's step scope with recording on for this thread ({@code
 * JniUtils.setGradMode(true)}); it needs no DJL gradient collector.
 */
public final class LayerwisePass {

  /** Hooks around each unit's compute, on the computing thread. */
  public interface Units {
    /** No hooks: every parameter is resident. */
    Units RESIDENT = new Units() {};

    default void beforeForward(int unit) {}

    default void afterForward(int unit) {}

    default void beforeBackward(int unit) {}

    default void afterBackward(int unit) {}

    /**
     * Unit 0 of this micro-batch ({@code ids}) computed by the hooks rather than on its gathered
     * parameters (a vocabulary-sharded lookup), or null. Called before {@code beforeForward(0)}.
     */
    default Lookup lookup(NDArray ids) {
      return null;
    }
  }

  /** The embedding's forward and backward done by the hooks (see {@link Units#lookup}). */
  public interface Lookup {
    /** The token embeddings {@code [B, T, D]} (fp32, not recorded) of the micro-batch. */
    NDArray forward(NDArray ids);

    /** Adds to the embedding's gradient that of its output, {@code dy} (the caller closes it). */
    void backward(NDArray ids, NDArray dy);
  }

  /** The micro-batch's summed cross-entropy and z-loss (host values) and its label tokens. */
  public record Sums(double ceSum, double zSum, long tokens) {}

  private LayerwisePass() {}

  /**
   * Accumulates into the parameters' gradients the gradient of {@code (ceSum + zLossMultiplier ·
   * zSum) / normaliser} of the micro-batch {@code ids} (step-local INT64 [B, T]).
   */
  public static Sums run(OlmoModel model, NDArray ids, NDArray labelMask, double zLossMultiplier,
      long normaliser, ActivationCheckpointing checkpointing, Units units) {
    int n = model.blockCount();
    NDArray[] inputs = new NDArray[n];
    NDArray[] outputs = new NDArray[n];
    boolean[] checkpointed = new boolean[n];

    Lookup lookup = units.lookup(ids);
    units.beforeForward(0);
    NDArray x;
    try (NDScope scope = new NDScope()) {
      x = withoutRecording(() -> lookup != null ? lookup.forward(ids) : model.embedUnit(ids));
      NDScope.unregister(x);
    }
    units.afterForward(0);
    for (int i = 0; i < n; i++) {
      units.beforeForward(1 + i);
      checkpointed[i] = ActivationCheckpointing.checkpoints(checkpointing, i);
      try (NDScope scope = new NDScope()) {
        NDArray y;
        if (checkpointed[i]) {
          inputs[i] = x;
          int block = i;
          NDArray in = x;
          y = withoutRecording(() -> model.blockUnit(block, in));
          NDScope.unregister(y);
          x = y;
        } else {
          inputs[i] = leaf(x);
          y = model.blockUnit(i, inputs[i]);
          outputs[i] = y;
          x = y.stopGradient();
          NDScope.unregister(inputs[i], y, x);
        }
      }
      units.afterForward(1 + i);
    }

    Sums sums;
    NDArray dy;
    units.beforeForward(n + 1);
    try (NDScope scope = new NDScope()) {
      NDArray last = leaf(x);
      LossTerms terms = model.headUnit(last, ids, labelMask, zLossMultiplier != 0);
      NDArray loss = terms.ceSum();
      if (zLossMultiplier != 0) {
        loss = loss.add(terms.zSum().mul(zLossMultiplier));
      }
      backward(loss.div(normaliser), null);
      sums = new Sums(scalar(terms.ceSum()), zLossMultiplier != 0 ? scalar(terms.zSum()) : 0,
          terms.tokens());
      dy = last.getGradient();
      NDScope.unregister(dy);
    }
    units.afterBackward(n + 1);

    for (int i = n - 1; i >= 0; i--) {
      units.beforeBackward(1 + i);
      try (NDScope scope = new NDScope()) {
        NDArray in;
        NDArray y;
        if (checkpointed[i]) {
          in = leaf(inputs[i]);
          y = model.blockUnit(i, in);
        } else {
          in = inputs[i];
          y = outputs[i];
        }
        backward(y, dy);
        NDArray dx = in.getGradient();
        NDScope.unregister(dx);
        dy.close();
        dy = dx;
        inputs[i].close();
        in.close();
        y.close();
      }
      units.afterBackward(1 + i);
    }

    units.beforeBackward(0);
    try (NDScope scope = new NDScope()) {
      if (lookup != null) {
        lookup.backward(ids, dy);
      } else {
        backward(model.embedUnit(ids), dy);
      }
      dy.close();
    }
    units.afterBackward(0);
    return sums;
  }

  /**
   * Logits [B, T, V] of {@code ids} computed unit by unit (no autograd: the caller turns
   * recording off), the hooks gathering each unit before it computes and releasing it after.
   */
  public static NDArray logits(OlmoModel model, NDArray ids, Units units) {
    int n = model.blockCount();
    units.beforeForward(0);
    NDArray x;
    try (NDScope scope = new NDScope()) {
      x = model.embedUnit(ids);
      NDScope.unregister(x);
    }
    units.afterForward(0);
    for (int i = 0; i < n; i++) {
      units.beforeForward(1 + i);
      try (NDScope scope = new NDScope()) {
        NDArray y = model.blockUnit(i, x);
        NDScope.unregister(y);
        x.close();
        x = y;
      }
      units.afterForward(1 + i);
    }
    units.beforeForward(n + 1);
    NDArray logits;
    try (NDScope scope = new NDScope()) {
      logits = model.headLogitsUnit(x);
      NDScope.unregister(logits);
      x.close();
    }
    units.afterForward(n + 1);
    return logits;
  }

  /** {@code x} detached, as a leaf that requires a gradient (storage shared). */
  private static NDArray leaf(NDArray x) {
    NDArray a = x.stopGradient();
    a.setRequiresGradient(true);
    return a;
  }

  /** {@code y.backward(dy)}, or {@code y.backward()} for a scalar when {@code dy} is null. */
  private static void backward(NDArray y, NDArray dy) {
    NDArray seed = dy == null ? y.onesLike() : dy;
    JniUtils.backward((PtNDArray) y, (PtNDArray) seed, false, false);
  }

  private static NDArray withoutRecording(java.util.function.Supplier<NDArray> f) {
    boolean before = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      return f.get();
    } finally {
      JniUtils.setGradMode(before);
    }
  }

  private static double scalar(NDArray a) {
    return a.getDataType() == ai.djl.ndarray.types.DataType.FLOAT64 ? a.getDouble() : a.getFloat();
  }
}
