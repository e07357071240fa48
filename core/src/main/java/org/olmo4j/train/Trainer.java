package org.olmo4j.train;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.model.Architecture;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.model.OlmoModel;
import org.olmo4j.optim.AdamWShard;
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
  private final TrainStep zero;
  private final Path saveFolder;
  private TrainState state;

  private Trainer(TrainConfig cfg, TrainData data, NDManager manager) {
    this.cfg = cfg;
    this.data = data;
    this.manager = manager;
    this.model = TrainStep.model(cfg, manager);
    FlatLayout layout = model.layout();
    this.optimizer = new AdamWShard(layout, TrainStep.plan(cfg, 0, 1), cfg.optimizer());
    this.saveFolder = Path.of(cfg.saveFolder());
    this.checkpoints = new TrainCheckpoints(cfg, layout, saveFolder, data::epochOf);
    this.maxSteps = cfg.maxDuration().toSteps(cfg.tokensPerStep(), data.stepsPerEpoch());
    this.schedule = LrSchedule.of(cfg.scheduler(), cfg.optimizer().learningRate(), maxSteps,
        cfg.tokensPerStep());
    this.zero = TrainStep.create(cfg, model, optimizer, Collectives.single());
    this.state = checkpoints.restoreOrInit(optimizer);
    zero.publishParameters();
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
    long flopsPerToken = Architecture.of(cfg.model()).flopsPerToken(cfg.model().maxSequenceLength());
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
          checkpoints.save(state, optimizer);
        }
      }
      if (!checkpoints.isSaved(state.step())) {
        checkpoints.save(state, optimizer);
      }
    }
    return last;
  }

  /** One optimizer step over the next global batch. */
  public StepMetrics step(SpeedMonitor speed) {
    long t0 = System.nanoTime();
    long step = state.step() + 1;
    Batch batch = data.batch(state.dataPosition(), cfg.globalTrainBatchSize());
    double lr = schedule.lr(step);
    Double maxNorm = LrSchedule.maxGradNorm(cfg.scheduler(), cfg.maxGradNorm(), step,
        cfg.tokensPerStep());
    TrainStep.Outcome o;
    try {
      o = zero.run(batch, cfg.deviceTrainMicrobatchSize(), cfg.zLossMultiplier(), step, lr, maxNorm);
    } catch (TrainingDivergedException e) {
      throw new TrainingDivergedException(e.getMessage() + ": stopping; the last committed checkpoint ("
          + checkpoints.lastCommittedDescription() + ") is kept");
    }
    long tokens = (long) batch.size() * batch.seqLen();
    state = state.advance(tokens, batch.size());
    double seconds = (System.nanoTime() - t0) / 1e9;
    speed.record(tokens, seconds);
    return new StepMetrics(step, o.loss(), o.zLoss(), lr, o.gradNorm(), o.clipCoefficient(),
        state.tokensSeen(), speed.tokensPerSecond(), speed.mfu(), seconds, o.computeSeconds(),
        o.exchangeSeconds(), o.optimizerSeconds(), ProcessMemory.rssBytes(), o.maskedInstances(),
        o.collectiveSeconds());
  }

  @Override
  public void close() {
    model.close();
    zero.close(); // after the model: its parameters are views of the step's compute copy
  }
}
