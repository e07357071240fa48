package org.olmo4j.train;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.model.Architecture;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.model.OlmoModel;
import org.olmo4j.optim.AdamWShard;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Training on one worker: the {@link TrainLoop} over the run's global batches, with metrics,
 * progress and checkpoints as its hooks.
 */
public final class Trainer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Trainer.class);

  private final TrainConfig cfg;
  private final NDManager manager;
  private final OlmoModel model;
  private final AdamWShard optimizer;
  private final TrainCheckpoints checkpoints;
  private final long maxSteps;
  private final TrainStep zero;
  private final TrainLoop loop;
  private final Path saveFolder;
  private TrainState state;

  private Trainer(TrainConfig cfg, TrainData data, NDManager manager) {
    this.cfg = cfg;
    this.manager = manager;
    this.model = TrainStep.model(cfg, manager);
    FlatLayout layout = model.layout();
    this.optimizer = new AdamWShard(layout, TrainStep.plan(cfg, 0, 1), cfg.optimizer());
    this.saveFolder = Path.of(cfg.saveFolder());
    this.checkpoints = new TrainCheckpoints(cfg, layout, saveFolder, data::epochOf,
        data.signature());
    this.maxSteps = cfg.maxDuration().toSteps(cfg.tokensPerStep(), data.stepsPerEpoch());
    this.zero = TrainStep.create(cfg, model, optimizer, Collectives.single());
    // The next global batch starts at the state's data position, advanced after every step.
    this.loop = new TrainLoop(cfg, maxSteps, zero, s -> data.batch(state.dataPosition(),
        cfg.globalTrainBatchSize()).split(cfg.deviceTrainMicrobatchSize()));
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
    try (MetricsLog metrics = MetricsLog.open(saveFolder.resolve("metrics.jsonl"), state.step())) {
      Reports reports = new Reports(metrics, progress, speed);
      train(() -> loop.run(state.step(), until, reports));
      if (!checkpoints.isSaved(state.step())) { // no step ran: the start is saved all the same
        checkpoints.save(state, optimizer);
      }
      return reports.last;
    }
  }

  /** One optimizer step over the next global batch, without metrics or checkpoints. */
  public StepMetrics step(SpeedMonitor speed) {
    return record(train(() -> loop.step(state.step() + 1)), speed);
  }

  /** Runs the loop; a divergence names the checkpoint that is kept. */
  private <T> T train(Callable<T> training) {
    try {
      return training.call();
    } catch (TrainingDivergedException e) {
      throw new TrainingDivergedException(e.getMessage() + ": stopping; the last committed checkpoint ("
          + checkpoints.lastCommittedDescription() + ") is kept");
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      // The loop allows checked exceptions for the cluster worker's hooks; this one's throw none.
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /** Advances the state past {@code done} and measures it. */
  private StepMetrics record(TrainLoop.Done done, SpeedMonitor speed) {
    TrainStep.Outcome o = done.outcome();
    state = state.advance(done.tokens(), done.instances());
    speed.record(done.tokens(), done.seconds());
    return new StepMetrics(done.step(), o.loss(), o.zLoss(), done.lr(), o.gradNorm(),
        o.clipCoefficient(), state.tokensSeen(), speed.tokensPerSecond(), speed.mfu(),
        done.seconds(), o.computeSeconds(), o.exchangeSeconds(), o.optimizerSeconds(),
        ProcessMemory.rssBytes(), o.maskedInstances(), o.collectiveSeconds(),
        o.exchangeSeconds(), o.collectiveSeconds());
  }

  /** The single worker's hooks: a metrics line and the console progress per step, checkpoints. */
  private final class Reports implements TrainLoop.Hooks {

    private final MetricsLog metrics;
    private final ConsoleProgress progress;
    private final SpeedMonitor speed;
    private StepMetrics last;

    Reports(MetricsLog metrics, ConsoleProgress progress, SpeedMonitor speed) {
      this.metrics = metrics;
      this.progress = progress;
      this.speed = speed;
    }

    @Override
    public void stepDone(TrainLoop.Done done) {
      last = record(done, speed);
      metrics.write(last);
      progress.report(last, speed);
    }

    @Override
    public void saveCheckpoint(long step) {
      checkpoints.save(state, optimizer);
    }
  }

  @Override
  public void close() {
    model.close();
    zero.close(); // after the model: its parameters are views of the step's compute copy
  }
}
