package org.olmo4j.train;

import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.optim.LrSchedule;

/**
 * The training loop of every worker, alone or one rank of a cluster: for each step its
 * micro-batches, the schedule's lr and clipping, the {@link TrainStep} with this rank's requests
 * voted on; then the hooks: the step's report, a checkpoint (every save_interval, at the last
 * step, or voted), in-loop eval, a voted pause; a voted stop ends the loop after that step's
 * checkpoint. The step owns the math; the loop owns the step
 * sequence and the operator's requests; the hooks do what is the worker's own.
 */
public final class TrainLoop {

  /** Where a step's micro-batches come from: this rank's part of the step's global batch. */
  public interface BatchSource {
    List<Batch> microBatches(long step) throws Exception;
  }

  /** What a worker does around the steps (called on the loop's thread). */
  public interface Hooks {
    /** Reports a completed step (metrics). */
    void stepDone(Done done) throws Exception;

    /** Saves the state after {@code step}: every save_interval, at the last step, or voted. */
    void saveCheckpoint(long step) throws Exception;

    /** Whether in-loop eval runs after {@code step}. */
    default boolean evalDue(long step) {
      return false;
    }

    /** Evaluates the model as it is after {@code step}. */
    default void evaluate(long step) throws Exception {}

    /** Every rank agreed to pause after {@code step}: the loop now waits for a resume or a stop. */
    default void paused(long step) {}
  }

  /** A completed step: {@code instances} and {@code tokens} of this rank's micro-batches. */
  public record Done(long step, double lr, TrainStep.Outcome outcome, int instances, long tokens,
      double seconds) {

    /** Some rank asked for a checkpoint with this step. */
    public boolean checkpointVoted() {
      return outcome.votes()[CHECKPOINT_VOTE] > 0;
    }

    /** Some rank asked that every rank checkpoint this step and stop (it cannot go on). */
    public boolean stopVoted() {
      return outcome.votes()[STOP_VOTE] > 0;
    }

    /** Some rank asked to pause after this step. */
    public boolean pauseVoted() {
      return outcome.votes()[PAUSE_VOTE] > 0;
    }
  }

  private static final int CHECKPOINT_VOTE = 0;
  private static final int PAUSE_VOTE = 1;
  private static final int STOP_VOTE = 2;
  /** How often a pause checks for a stop while it waits for a resume. */
  private static final long PAUSE_POLL_MS = 200;

  private final TrainConfig cfg;
  private final TrainStep trainStep;
  private final LrSchedule schedule;
  private final BatchSource batches;
  private volatile boolean stopped;
  private volatile boolean checkpointRequested;
  private volatile boolean pauseRequested;
  private volatile boolean stopRequested;
  /** Resumes granted so far; a pause waits until one more than it had seen. */
  private final Semaphore resumes = new Semaphore(0);

  /** A loop of {@code trainStep} over {@code batches}, its lr scheduled over {@code maxSteps}. */
  public TrainLoop(TrainConfig cfg, long maxSteps, TrainStep trainStep, BatchSource batches) {
    this.cfg = cfg;
    this.trainStep = trainStep;
    this.batches = batches;
    this.schedule = LrSchedule.of(cfg.scheduler(), cfg.optimizer().learningRate(), maxSteps,
        cfg.tokensPerStep());
  }

  /** Runs steps {@code from + 1} to {@code until} unless stopped; returns the last completed step. */
  public long run(long from, long until, Hooks hooks) throws Exception {
    long step = from;
    while (step < until && !stopped) {
      Done done = step(step + 1);
      step = done.step();
      hooks.stepDone(done);
      if (step % cfg.saveInterval() == 0 || step == until || done.checkpointVoted()
          || done.stopVoted()) {
        hooks.saveCheckpoint(step);
      }
      if (done.stopVoted()) {
        return step;
      }
      if (hooks.evalDue(step) && !stopped) {
        hooks.evaluate(step);
      }
      if (done.pauseVoted() && step < until) {
        awaitResume(hooks, step);
      }
    }
    return step;
  }

  /** Step {@code s} alone, without the hooks (benchmarks step one at a time). */
  public Done step(long s) throws Exception {
    long t0 = System.nanoTime();
    List<Batch> micro = batches.microBatches(s);
    double lr = schedule.lr(s);
    boolean ask = checkpointRequested;
    boolean pause = pauseRequested;
    Double maxNorm = LrSchedule.maxGradNorm(cfg.scheduler(), cfg.maxGradNorm(), s,
        cfg.tokensPerStep());
    // The operator's requests ride on the step's all-reduce: if any rank got one, all act on it.
    double[] votes = new double[3];
    votes[CHECKPOINT_VOTE] = ask ? 1 : 0;
    votes[PAUSE_VOTE] = pause ? 1 : 0;
    votes[STOP_VOTE] = stopRequested ? 1 : 0;
    TrainStep.Outcome o = trainStep.run(micro, cfg.zLossMultiplier(), s, lr, maxNorm, votes);
    if (ask) {
      checkpointRequested = false;
    }
    if (pause) {
      pauseRequested = false;
    }
    int instances = 0;
    long tokens = 0;
    for (Batch b : micro) {
      instances += b.size();
      tokens += (long) b.size() * b.seqLen();
    }
    return new Done(s, lr, o, instances, tokens, (System.nanoTime() - t0) / 1e9);
  }

  private void awaitResume(Hooks hooks, long step) throws InterruptedException {
    hooks.paused(step);
    while (!stopped && !resumes.tryAcquire(PAUSE_POLL_MS, TimeUnit.MILLISECONDS)) {
      // Polls so that a stop (e.g. an abort for a new world) ends the pause too.
    }
    // This rank's own pause request may have arrived after the step every rank agreed to pause
    // at; it was for this pause (a resume follows its pause), so it must not pause again.
    pauseRequested = false;
  }

  /** Every rank checkpoints the next step this rank completes (agreed through the all-reduce). */
  public void requestCheckpoint() {
    checkpointRequested = true;
  }

  /**
   * Every rank checkpoints the next step this rank completes and then ends its loop (agreed
   * through the all-reduce): this rank cannot go on, e.g. its next data cannot be read.
   */
  public void requestCheckpointAndStop() {
    stopRequested = true;
  }

  /** Every rank pauses after the next step this rank completes (agreed through the all-reduce). */
  public void requestPause() {
    pauseRequested = true;
  }

  /** Ends the pause the loop is in, or the next one it enters. */
  public void resume() {
    resumes.release();
  }

  /** Makes the loop stop at the next step boundary (and end a pause). */
  public void stop() {
    stopped = true;
  }
}
