package org.olmo4j.train;

import ai.djl.ndarray.NDManager;
import java.util.List;
import org.olmo4j.config.ShardingStrategy;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.model.Architecture;
import org.olmo4j.model.OlmoModel;
import org.olmo4j.model.ShardPlan;
import org.olmo4j.optim.AdamWShard;

/**
 * One optimizer step of one rank under a sharding strategy: forward/backward on its part of the
 * global batch, gradients reduce-scattered to their shard owners, global grad norm, clipping,
 * AdamW on the rank's shard, parameters gathered for the next forward. {@link ZeroStep} is
 * SHARD_GRAD_OP (ZeRO-2), {@link FullShardStep} FULL_SHARD (ZeRO-3) and HYBRID_SHARD (FULL_SHARD
 * inside each shard group, gradient pieces summed across the replicas; {@link ShardGroups}).
 */
public interface TrainStep extends AutoCloseable {

  /**
   * What the step did, identical on every rank. {@code votes}: the ranks' votes summed (they ride
   * on the loss all-reduce; the caller gives them their meaning). {@code maskedInstances}:
   * instances of the global batch the instance filter masked out of the loss. {@code
   * exchangeSeconds}: time the rank waited for collectives (exposed communication); {@code
   * collectiveSeconds}: time the collectives themselves ran, hidden behind compute or not.
   */
  record Outcome(
      double loss, double zLoss, double gradNorm, double clipCoefficient, long labelTokens,
      long maskedInstances,
      double computeSeconds, double exchangeSeconds, double optimizerSeconds,
      double[] votes, double collectiveSeconds) {}

  /**
   * Runs the step on this rank's micro-batches; {@code votes}: this rank's values of a few
   * scalars the caller wants summed over the ranks with the step (e.g. requests to act on).
   *
   * @param maxGradNorm clipping threshold for this step, or null for none
   * @throws TrainingDivergedException when the loss or the gradient norm is not finite
   */
  Outcome run(List<Batch> microBatches, double zLossMultiplier, long step, double lr,
      Double maxGradNorm, double[] votes);

  /** As above on this rank's {@code part} of the global batch, without requests. */
  default Outcome run(Batch part, int microBatchSize, double zLossMultiplier, long step,
      double lr, Double maxGradNorm) {
    return run(part.split(microBatchSize), zLossMultiplier, step, lr, maxGradNorm, new double[0]);
  }

  /** Makes the model compute with the optimizer's master weights (after a load). */
  void publishParameters();

  /**
   * Stops the step's own collectives thread, if it has one, and waits up to {@code wait} for it
   * (close the exchange first, so that its collectives fail fast); true once none runs.
   */
  default boolean awaitCollectivesStopped(java.time.Duration wait) {
    return true;
  }

  /** Frees the step's buffers, after the model is closed and the exchange is idle. */
  @Override
  void close();

  /** The model a rank computes with under {@code cfg}'s strategy (unit by unit for FULL_SHARD). */
  static OlmoModel model(TrainConfig cfg, NDManager manager) {
    return cfg.fsdp().shardingStrategy().shardsParameters()
        ? OlmoModel.createUnitwise(cfg.model(), manager, cfg.precision())
        : OlmoModel.create(cfg.model(), manager, cfg.precision());
  }

  /** The shard rank {@code rank} of {@code worldSize} owns under {@code cfg}'s strategy (one replica). */
  static ShardPlan plan(TrainConfig cfg, int rank, int worldSize) {
    return plan(cfg, ShardGroups.single(worldSize), rank);
  }

  /** The shard world rank {@code rank} owns: its piece of its shard group's split. */
  static ShardPlan plan(TrainConfig cfg, ShardGroups groups, int rank) {
    return ShardPlan.of(Architecture.of(cfg.model()), cfg.fsdp().shardingStrategy(),
        groups.shardRank(rank), groups.groupSize());
  }

  /** The step of {@code cfg}'s strategy for {@code model} (from {@link #model}) over one world. */
  static TrainStep create(TrainConfig cfg, OlmoModel model, AdamWShard optimizer,
      Collectives collectives) {
    return create(cfg, model, optimizer, collectives, null);
  }

  /**
   * As above; under HYBRID_SHARD {@code collectives} is the rank's shard group and {@code
   * replicas} its replica group (null: one replica, the same as FULL_SHARD).
   */
  static TrainStep create(TrainConfig cfg, OlmoModel model, AdamWShard optimizer,
      Collectives collectives, Collectives replicas) {
    ShardingStrategy s = cfg.fsdp().shardingStrategy();
    if (s == ShardingStrategy.HYBRID_SHARD && replicas != null) {
      return new FullShardStep(model, optimizer, new HybridWorld(collectives, replicas),
          collectives, replicas, cfg.precision(), cfg.activationCheckpointing());
    }
    if (replicas != null) {
      throw new IllegalArgumentException("replica groups are HYBRID_SHARD's; the strategy is "
          + s.yamlName());
    }
    return s.shardsParameters()
        ? new FullShardStep(model, optimizer, collectives, cfg.precision(),
            cfg.activationCheckpointing())
        : new ZeroStep(model, optimizer, collectives, cfg.precision(),
            cfg.activationCheckpointing());
  }
}
