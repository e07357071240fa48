package org.olmo4j.coordinator;

import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.data.DataSignature;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.train.TrainCheckpoints;
import org.olmo4j.train.TrainState;
import org.olmo4j.worker.WorkerEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The run's committed checkpoints, for the coordinator: where the next world starts (the
 * configured resume point, then every commit, or the world of a coordinator this one took over
 * from), the commit of a step once all its shards are durable, and the exports that follow it.
 */
final class Commits {

  private static final Logger log = LoggerFactory.getLogger(Coordinator.class);

  private final TrainCheckpoints checkpoints;
  private final UnshardedExports exports;
  private Optional<TrainCheckpoints.ResumePoint> resume;
  private long lastStep = -1;
  /** The newest world of a previous coordinator the workers report: the run to continue. */
  private WorkerEvent.RestartPoint takeOver;
  private double lastWriteSeconds = Double.NaN;

  Commits(TrainConfig cfg, long stepsPerEpoch, DataSignature data, UnshardedExports exports) {
    long examplesPerEpoch = stepsPerEpoch * cfg.globalTrainBatchSize();
    this.checkpoints = new TrainCheckpoints(cfg, FlatLayout.of(cfg.model()),
        Path.of(cfg.saveFolder()), position -> position / examplesPerEpoch, data);
    this.resume = checkpoints.resumePoint();
    this.exports = exports;
  }

  /** The checkpoint the next world loads (empty: the seeded initialisation). */
  Optional<TrainCheckpoints.ResumePoint> resume() {
    return resume;
  }

  /** The train state the next world starts from. */
  TrainState start() {
    return resume.map(TrainCheckpoints.ResumePoint::state).orElse(TrainState.start());
  }

  /** For messages: the next world's checkpoint directory name, or "the initialisation". */
  String from() {
    return resume.map(r -> r.dir().getFileName().toString()).orElse("the initialisation");
  }

  /** The step of the newest checkpoint committed by this coordinator (-1: none). */
  long lastStep() {
    return lastStep;
  }

  /** The slowest shard write of that checkpoint, in seconds (NaN: none). */
  double lastWriteSeconds() {
    return lastWriteSeconds;
  }

  /**
   * Commits {@code step} of {@code world}, tells its ranks and starts a due export; fails loudly.
   * Empty when a newer step is already committed: shards are written concurrently, so a later
   * step can be complete first, and committing the older one would move the run backwards.
   */
  Optional<Path> commit(RunProgress progress, World world, long step, RunProgress.ShardTimes times) {
    if (step <= lastStep) {
      log.info("the shards of step {} were written after checkpoint step {} was committed; the "
          + "older step is not committed", step, lastStep);
      return Optional.empty();
    }
    Path dir = progress.commit(checkpoints, step, world.generation());
    resume = Optional.of(new TrainCheckpoints.ResumePoint(dir, progress.stateAt(step), false));
    lastStep = step;
    lastWriteSeconds = times.write();
    world.committed(dir);
    log.info("committed checkpoint {} ({} shards; slowest write {} s, training stall {} s = {}% of it)",
        dir, world.groups().groupSize(), String.format("%.3f", times.write()),
        String.format("%.4f", times.stall()),
        String.format("%.1f", 100 * times.stall() / Math.max(1e-9, times.write())));
    exports.afterCommit(dir, step);
    return Optional.of(dir);
  }

  /** A worker's report of its last world: kept when it is a previous coordinator's, and newer. */
  void reported(WorkerEvent.RestartPoint lastWorld, long ownGeneration) {
    takeOver = TakeOver.newer(takeOver, lastWorld, ownGeneration);
  }

  /**
   * When workers reported a previous coordinator's world (this one took over from one on a lost
   * node), the next world continues that run at the checkpoint its last world can restart from:
   * the generation of that world.
   */
  OptionalLong takeOver() {
    if (takeOver == null) {
      return OptionalLong.empty();
    }
    continueRun(takeOver);
    long g = takeOver.generation();
    takeOver = null;
    return OptionalLong.of(g);
  }

  private void continueRun(WorkerEvent.RestartPoint from) {
    resume = checkpoints.continueFrom(from.checkpointDir(), from.weightsOnly(), from.generation());
    log.warn("taking over the run: the workers' last world was generation {}; continuing from {}",
        from.generation(), resume.map(r -> r.dir().toString()).orElse("the initialisation"));
  }

  /** The unsharded exports started so far (the run ends after them). */
  UnshardedExports exports() {
    return exports;
  }
}
