package org.olmo4j.config;

/**
 * The whole run, as OLMo's {@code TrainConfig}: YAML keys are the snake_case forms of these names.
 *
 * <p>Every field has a default in {@code defaults.yaml} except the ones marked nullable.
 */
public record TrainConfig(
    String runName,
    long seed,
    Duration maxDuration,
    int globalTrainBatchSize,
    int deviceTrainMicrobatchSize,
    /* nullable: no clipping */ Double maxGradNorm,
    boolean softmaxAuxiliaryLoss,
    double auxiliaryLossMultiplier,
    Precision precision,
    String saveFolder,
    int saveInterval,
    int saveNumCheckpointsToKeep,
    /* nullable */ String loadPath,
    boolean tryLoadLatestSave,
    boolean resetTrainerState,
    int consoleLogInterval,
    ModelConfig model,
    OptimizerConfig optimizer,
    SchedulerConfig scheduler,
    DataConfig data,
    ClusterConfig cluster,
    /* nullable: no unsharded exports */ Integer saveIntervalUnsharded,
    ControlConfig control,
    int evalInterval,
    /* nullable: device_train_microbatch_size */ Integer deviceEvalBatchSize,
    /* -1: everything */ int evalSubsetNumBatches,
    java.util.List<EvaluatorConfig> evaluators,
    boolean evalSkipMissing,
    FsdpConfig fsdp,
    /* nullable: no block is checkpointed */ ActivationCheckpointing activationCheckpointing) {

  /** This config with another model (e.g. one read from a Hugging Face config.json). */
  public TrainConfig withModel(ModelConfig newModel) {
    return new TrainConfig(runName, seed, maxDuration, globalTrainBatchSize,
        deviceTrainMicrobatchSize, maxGradNorm, softmaxAuxiliaryLoss, auxiliaryLossMultiplier,
        precision, saveFolder, saveInterval, saveNumCheckpointsToKeep, loadPath, tryLoadLatestSave,
        resetTrainerState, consoleLogInterval, newModel, optimizer, scheduler, data, cluster,
        saveIntervalUnsharded, control, evalInterval, deviceEvalBatchSize, evalSubsetNumBatches,
        evaluators, evalSkipMissing, fsdp, activationCheckpointing);
  }

  /** This config with other evaluators (e.g. without the ones whose data is missing). */
  public TrainConfig withEvaluators(java.util.List<EvaluatorConfig> newEvaluators) {
    return new TrainConfig(runName, seed, maxDuration, globalTrainBatchSize,
        deviceTrainMicrobatchSize, maxGradNorm, softmaxAuxiliaryLoss, auxiliaryLossMultiplier,
        precision, saveFolder, saveInterval, saveNumCheckpointsToKeep, loadPath, tryLoadLatestSave,
        resetTrainerState, consoleLogInterval, model, optimizer, scheduler, data, cluster,
        saveIntervalUnsharded, control, evalInterval, deviceEvalBatchSize, evalSubsetNumBatches,
        newEvaluators, evalSkipMissing, fsdp, activationCheckpointing);
  }

  /** The z-loss weight of a step: auxiliary_loss_multiplier when softmax_auxiliary_loss, else 0. */
  public double zLossMultiplier() {
    return softmaxAuxiliaryLoss ? auxiliaryLossMultiplier : 0;
  }

  /** Tokens consumed by one optimizer step (every instance is max_sequence_length tokens). */
  public long tokensPerStep() {
    return (long) globalTrainBatchSize * model.maxSequenceLength();
  }
}
