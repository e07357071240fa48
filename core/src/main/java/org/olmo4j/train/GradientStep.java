package org.olmo4j.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.List;
import ai.djl.pytorch.jni.JniUtils;
import org.olmo4j.config.ActivationCheckpointing;
import org.olmo4j.model.LayerwisePass;
import org.olmo4j.model.LossTerms;
import org.olmo4j.model.OlmoModel;
import org.olmo4j.model.StepScope;

/**
 * Forward and backward of one global batch, micro-batch by micro-batch, as OLMo's train_step:
 * each micro-batch's loss is its summed cross-entropy divided by the label tokens of the whole
 * batch, so the accumulated gradient is that of the batch's mean loss.
 */
public final class GradientStep {

  /** Sums over the batch (host doubles) and the token count they are normalised by. */
  public record Result(double ceSum, double zSum, long tokens) {
    public double loss() {
      return ceSum / tokens;
    }

    public double zLoss() {
      return zSum / tokens;
    }
  }

  /**
   * DJL allows one gradient collector per JVM at a time, so workers that share a JVM take turns
   * for their forward/backward (on a CPU they would compete for the same cores anyway).
   */
  private static final Object COLLECTOR = new Object();

  private GradientStep() {}

  /**
   * Zeroes the model's gradients, then accumulates into them the gradient of
   * {@code Σ CE / normaliser} (plus z-loss) over the micro-batches.
   *
   * @param zLossMultiplier OLMo's auxiliary_loss_multiplier, or 0 for no z-loss
   * @param normaliser label tokens of the whole global batch (all ranks)
   */
  public static Result run(
      OlmoModel model, List<Batch> microBatches, double zLossMultiplier, long normaliser) {
    return run(model, microBatches, zLossMultiplier, normaliser, null, null);
  }

  /**
   * As {@link #run(OlmoModel, List, double, long)}, unit by unit ({@link LayerwisePass}) when
   * blocks are checkpointed ({@code checkpointing} non-null) or {@code units} has hooks (a
   * FULL_SHARD step); otherwise the whole model's graph at once.
   */
  public static Result run(OlmoModel model, List<Batch> microBatches, double zLossMultiplier,
      long normaliser, ActivationCheckpointing checkpointing, LayerwisePass.Units units) {
    if (checkpointing == null && units == null) {
      synchronized (COLLECTOR) {
        return accumulate(model, microBatches, zLossMultiplier, normaliser);
      }
    }
    // No DJL collector (one per JVM) and no lock: the pass seeds each backward itself and
    // switches recording on for this thread only, so in-process ranks whose collectives wait
    // for each other between units run side by side.
    boolean before = JniUtils.isGradMode();
    JniUtils.setGradMode(true);
    try {
      return accumulateByUnit(model, microBatches, zLossMultiplier, normaliser, checkpointing,
          units == null ? LayerwisePass.Units.RESIDENT : units);
    } finally {
      JniUtils.setGradMode(before);
    }
  }

  private static Result accumulateByUnit(OlmoModel model, List<Batch> microBatches,
      double zLossMultiplier, long normaliser, ActivationCheckpointing checkpointing,
      LayerwisePass.Units units) {
    model.zeroGrads();
    double ce = 0;
    double z = 0;
    long tokens = 0;
    for (Batch micro : microBatches) {
      try (StepScope scope = model.newStepScope()) {
        NDManager m = scope.manager();
        NDArray ids = m.create(micro.tokens(), new Shape(micro.size(), micro.seqLen()));
        boolean[] lossMask = micro.lossMask();
        NDArray mask = lossMask == null ? null
            : m.create(lossMask, new Shape(micro.size(), micro.seqLen()));
        LayerwisePass.Sums s = LayerwisePass.run(model, ids, mask, zLossMultiplier, normaliser,
            checkpointing, units);
        ce += s.ceSum();
        z += s.zSum();
        tokens += s.tokens();
      }
    }
    return new Result(ce, z, tokens);
  }

  private static Result accumulate(
      OlmoModel model, List<Batch> microBatches, double zLossMultiplier, long normaliser) {
    model.zeroGrads();
    boolean zLoss = zLossMultiplier != 0;
    double ce = 0;
    double z = 0;
    long tokens = 0;
    for (Batch micro : microBatches) {
      // One scope per micro-batch: its activations are freed before the next one runs.
      try (StepScope scope = model.newStepScope();
          GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDManager m = scope.manager();
        NDArray ids = m.create(micro.tokens(), new Shape(micro.size(), micro.seqLen()));
        boolean[] lossMask = micro.lossMask();
        NDArray mask = lossMask == null ? null
            : m.create(lossMask, new Shape(micro.size(), micro.seqLen()));
        LossTerms terms = model.lossTerms(ids, mask, zLoss);
        NDArray loss = terms.ceSum();
        if (zLoss) {
          loss = loss.add(terms.zSum().mul(zLossMultiplier));
        }
        collector.backward(loss.div(normaliser));
        ce += scalar(terms.ceSum());
        z += zLoss ? scalar(terms.zSum()) : 0;
        tokens += terms.tokens();
      }
    }
    return new Result(ce, z, tokens);
  }

  private static double scalar(NDArray a) {
    return a.getDataType() == DataType.FLOAT64 ? a.getDouble() : a.getFloat();
  }
}
