package org.olmo4j.train;

import java.util.List;
import org.olmo4j.config.ActivationCheckpointing;
import org.olmo4j.config.Precision;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.model.FlatVector;
import org.olmo4j.model.OlmoModel;
import org.olmo4j.optim.AdamWShard;
import org.olmo4j.optim.GradClip;

/**
 * One ZeRO-2 optimizer step of one rank: forward/backward on its part of the global batch →
 * reduce-scatter of fp32 gradients → global grad norm → clipping → AdamW on its shard →
 * all-gather of the (bf16-cast) parameters into the full compute copy.
 *
 * <p>With one rank every collective is a copy, so the single-worker trainer is this same code.
 *
 * <p>The full vectors (gradients, compute parameters, their bf16 cast) are {@link FlatVector}s in
 * native memory: the exchange sends and receives them in place, and the model's parameters are
 * views of the compute copy. {@link #close} frees them once the model is closed.
 */
public final class ZeroStep implements TrainStep {

  private final OlmoModel model;
  private final AdamWShard optimizer;
  private final Collectives collectives;
  private final boolean bf16Compute;
  /** Blocks whose activations are recomputed in the backward, or null. */
  private final ActivationCheckpointing checkpointing;
  private final FlatVector fullGrads;
  private final float[] shardGrads;
  private final FlatVector fullParams;
  /** Start of this rank's shard in the flat vector. */
  private final int shardStart;
  private final int shardLength;
  private final FlatVector fullBf16;

  public ZeroStep(OlmoModel model, AdamWShard optimizer, Collectives collectives, Precision precision) {
    this(model, optimizer, collectives, precision, null);
  }

  /** As above, recomputing the blocks {@code checkpointing} names in the backward. */
  public ZeroStep(OlmoModel model, AdamWShard optimizer, Collectives collectives,
      Precision precision, ActivationCheckpointing checkpointing) {
    FlatLayout layout = model.layout();
    int total = Math.toIntExact(layout.totalElements());
    FlatLayout.Range range = layout.shardRange(collectives.rank(), collectives.worldSize());
    int shard = Math.toIntExact(range.length());
    this.model = model;
    this.optimizer = optimizer;
    this.collectives = collectives;
    this.bf16Compute = precision == Precision.AMP_BF16;
    this.checkpointing = checkpointing;
    this.fullGrads = FlatVector.fp32(total);
    this.shardGrads = new float[shard];
    this.fullParams = FlatVector.fp32(total);
    this.shardStart = Math.toIntExact(range.start());
    this.shardLength = shard;
    this.fullBf16 = bf16Compute ? FlatVector.bf16(total) : null;
  }

  @Override
  public Outcome run(List<Batch> microBatches, double zLossMultiplier, long step, double lr,
      Double maxGradNorm, double[] votes) {
    long t0 = System.nanoTime();
    long labelTokens = 0;
    long masked = 0;
    for (Batch b : microBatches) {
      labelTokens += b.labelTokens();
      masked += b.maskedInstances();
    }
    long globalTokens = StepSums.labelTokens(collectives, labelTokens);
    long normaliser = Math.max(1, globalTokens);
    GradientStep.Result local = GradientStep.run(model, microBatches, zLossMultiplier, normaliser,
        checkpointing, null);
    model.readGrads(fullGrads);
    long t1 = System.nanoTime();
    StepSums.Loss sums = StepSums.loss(collectives, local, masked, votes, normaliser, step);
    collectives.reduceScatter(fullGrads, shardGrads);
    double gradNorm = StepSums.gradNorm(collectives, GradClip.sumOfSquares(shardGrads), step);
    long t2 = System.nanoTime();
    double clip = maxGradNorm == null ? 1.0 : GradClip.clipCoefficient(gradNorm, maxGradNorm);
    optimizer.step(shardGrads, lr, clip, step);
    long t3 = System.nanoTime();
    publishParameters();
    long t4 = System.nanoTime();
    return new Outcome(sums.loss(), sums.zLoss(), gradNorm, clip, globalTokens,
        sums.maskedInstances(), (t1 - t0) / 1e9, ((t2 - t1) + (t4 - t3)) / 1e9, (t3 - t2) / 1e9,
        sums.votes(), ((t2 - t1) + (t4 - t3)) / 1e9);
  }

  /**
   * Gathers every rank's master shard into the model's compute copy: the master itself (fp32)
   * or its bf16 rounding (amp_bf16), widened to fp32 for DJL.
   */
  @Override
  public void publishParameters() {
    if (bf16Compute) {
      // Cast straight into this rank's range of the full vector: the all-gather sends it from there.
      fullBf16.putRounded(shardStart, optimizer.master(), 0, shardLength);
      collectives.allGatherInPlace(fullBf16);
      fullBf16.widenTo(0, fullParams, 0, fullParams.length());
    } else {
      // The master shard goes into its range of the compute copy, which is sent from there.
      fullParams.put(shardStart, optimizer.master(), 0, shardLength);
      collectives.allGatherInPlace(fullParams);
    }
    model.setParams(fullParams);
  }

  /**
   * Frees the full vectors. Only after the model is closed (its parameters are views of the
   * compute copy) and the exchange is idle ({@code TensorExchange#awaitIdle}).
   */
  @Override
  public void close() {
    fullGrads.close();
    fullParams.close();
    if (fullBf16 != null) {
      fullBf16.close();
    }
  }
}
