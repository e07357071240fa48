package org.olmo4j.train;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import org.olmo4j.config.Precision;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.model.Initializer;
import org.olmo4j.model.OlmoModel;
import org.olmo4j.optim.AdamWShard;
import org.olmo4j.optim.GradClip;
import org.olmo4j.optim.LrSchedule;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OLMo's training loop on one worker: batch → forward/backward → clip → AdamW → compute copy,
 * with metrics, progress and checkpoints as hooks around it.
 */
public final class Trainer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Trainer.class);

  private final TrainConfig cfg;
  private final NDManager manager;
  private final OlmoModel model;
  private final TrainData data;
  private final AdamWShard optimizer;
  private final TrainCheckpoints checkpoints;
  private final LrSchedule schedule;
  private final long maxSteps;
  private final float[] grads;
  private final float[] computeCopy;
  private final Path saveFolder;
  private TrainState state;

  private Trainer(TrainConfig cfg, TrainData data, NDManager manager) {
    this.cfg = cfg;
    this.data = data;
    this.manager = manager;
    this.model = OlmoModel.create(cfg.model(), manager, DataType.FLOAT32);
    FlatLayout layout = model.layout();
    this.optimizer = new AdamWShard(layout, layout.shardRange(0, 1), cfg.optimizer());
    this.saveFolder = Path.of(cfg.saveFolder());
    this.checkpoints = new TrainCheckpoints(cfg, layout, saveFolder);
    this.maxSteps = cfg.maxDuration().toSteps(cfg.tokensPerStep(), data.stepsPerEpoch());
    this.schedule = LrSchedule.of(cfg.scheduler(), cfg.optimizer().learningRate(), maxSteps);
    this.grads = new float[Math.toIntExact(layout.totalElements())];
    this.computeCopy = cfg.precision() == Precision.AMP_BF16 ? new float[grads.length] : null;
    this.state = checkpoints.restoreOrInit(optimizer);
    publishComputeCopy();
  }

  /** Builds the model, optimizer and data for {@code cfg}, resuming from a checkpoint if asked. */
  public static Trainer create(TrainConfig cfg, TrainData data, NDManager manager) {
    return new Trainer(cfg, data, manager);
  }

  public TrainState state() {
    return state;
  }

  public long maxSteps() {
    return maxSteps;
  }

  public OlmoModel model() {
    return model;
  }

  /** Trains until {@code max_duration}; returns the metrics of the last step (null if none ran). */
  public StepMetrics fit() {
    return fit(maxSteps);
  }

  /** Trains until step {@code untilStep} (≤ max steps), saving every save_interval and at the end. */
  public StepMetrics fit(long untilStep) {
    long until = Math.min(untilStep, maxSteps);
    double peak = PeakFlops.measureMatmul(manager, 1024, 0.5);
    long flopsPerToken = OlmoModel.flopsPerToken(cfg.model(), cfg.model().maxSequenceLength());
    SpeedMonitor speed = new SpeedMonitor(20, flopsPerToken, peak);
    ConsoleProgress progress = new ConsoleProgress(cfg.runName(), until, cfg.consoleLogInterval());
    log.info("training {} from step {} to {} ({} tokens/step, {} parameters); peak fp32 matmul {} GFLOP/s",
        cfg.runName(), state.step(), until, cfg.tokensPerStep(), model.layout().totalElements(),
        String.format("%.1f", peak / 1e9));
    StepMetrics last = null;
    try (MetricsLog metrics = MetricsLog.open(saveFolder.resolve("metrics.jsonl"), state.step())) {
      while (state.step() < until) {
        last = step(speed);
        metrics.write(last);
        progress.report(last, speed);
        if (state.step() % cfg.saveInterval() == 0) {
          checkpoints.save(state, optimizer, metrics);
        }
      }
      if (!checkpoints.isSaved(state.step())) {
        checkpoints.save(state, optimizer, metrics);
      }
    }
    return last;
  }

  /** One optimizer step over the next global batch. */
  public StepMetrics step(SpeedMonitor speed) {
    long t0 = System.nanoTime();
    long step = state.step() + 1;
    Batch batch = data.batch(state.dataPosition(), cfg.globalTrainBatchSize());
    double zMult = cfg.softmaxAuxiliaryLoss() ? cfg.auxiliaryLossMultiplier() : 0;
    GradientStep.Result r =
        GradientStep.run(model, batch, cfg.deviceTrainMicrobatchSize(), zMult);
    if (!Double.isFinite(r.loss())) {
      throw new TrainingDivergedException(String.format(
          "loss is %s at step %d: stopping; the last committed checkpoint (%s) is kept",
          r.loss(), step, checkpoints.lastCommittedDescription()));
    }
    long t1 = System.nanoTime();
    model.readGrads(grads);
    double gradNorm = Math.sqrt(GradClip.sumOfSquares(grads, 0, grads.length));
    if (!Double.isFinite(gradNorm)) {
      throw new TrainingDivergedException(String.format(
          "gradient norm is %s at step %d: stopping; the last committed checkpoint (%s) is kept",
          gradNorm, step, checkpoints.lastCommittedDescription()));
    }
    Double maxNorm = LrSchedule.maxGradNorm(cfg.scheduler(), cfg.maxGradNorm(), step);
    double clip = maxNorm == null ? 1.0 : GradClip.clipCoefficient(gradNorm, maxNorm);
    double lr = schedule.lr(step);
    optimizer.step(grads, lr, clip, step);
    publishComputeCopy();
    long t2 = System.nanoTime();

    long tokens = (long) batch.size() * batch.seqLen();
    state = state.advance(tokens, batch.size());
    double seconds = (t2 - t0) / 1e9;
    speed.record(tokens, seconds);
    return new StepMetrics(step, r.loss(), r.zLoss(), lr, gradNorm, clip, state.tokensSeen(),
        speed.tokensPerSecond(), speed.mfu(), seconds, (t1 - t0) / 1e9, (t2 - t1) / 1e9,
        ProcessMemory.rssBytes());
  }

  /** The model computes with the master weights (fp32) or their bf16 rounding (amp_bf16). */
  private void publishComputeCopy() {
    if (computeCopy == null) {
      model.setParams(optimizer.master());
    } else {
      org.olmo4j.io.Bf16.roundToBf16(optimizer.master(), computeCopy);
      model.setParams(computeCopy);
    }
  }

  @Override
  public void close() {
    model.close();
  }
}
