package org.olmo4j.coordinator;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.olmo4j.worker.WorkerEvent;
import org.slf4j.Logger;

/**
 * The ranks' checkpoint reports of the current world, turned into what the coordinator does next:
 * commit a step once every shard is durable, report a checkpoint that failed (a full disk, an
 * I/O error: one line and a notice per step, {@code latest} stays the previous one, the next
 * save_interval tries again), and end the run once every rank has stopped and its last step is
 * committed — with exit code 1 when that final checkpoint fails or a rank could not read its data.
 */
final class ShardReports {

  /** What follows a report. */
  sealed interface Next {}

  /** Nothing yet. */
  record Wait() implements Next {}

  /** Step {@code step} is committed in {@code dir}; {@code end} is the run's end when it was the last. */
  record Committed(long step, Path dir, Optional<End> end) implements Next {}

  /** The run ends. */
  record End(int exitCode, String reason) implements Next {}

  private static final Wait WAIT = new Wait();

  private final Commits commits;
  private final RunEvents events;
  private final Logger log;
  private final CheckpointFailures failures = new CheckpointFailures();
  /** Every rank has stopped; the final checkpoint's shards are still being written. */
  private boolean finalCommitPending;
  /** A rank cannot read its data: the run ends, exit code 1, after the voted checkpoint. */
  private Optional<String> dataStop = Optional.empty();

  ShardReports(Commits commits, RunEvents events, Logger log) {
    this.commits = commits;
    this.events = events;
    this.log = log;
  }

  /** A rank's shard of a step is durable, or could not be written. */
  Next shardSaved(WorkerEvent.ShardSaved s, RunProgress progress, World world) {
    if (s.error() != null) {
      return failed(s.step(), s.error(), progress);
    }
    if (!progress.shardSaved(s)) {
      return WAIT;
    }
    RunProgress.ShardTimes times = progress.shardTimes(s.step());
    Optional<Path> committed;
    try {
      committed = commits.commit(progress, world, s.step(), times);
    } catch (RuntimeException e) {
      return failed(s.step(), e.getMessage(), progress);
    }
    if (committed.isEmpty()) {
      return WAIT;
    }
    events.notice("checkpoint_committed", s.step(), committed.get().toString(),
        Map.of("write_seconds", times.write(), "stall_seconds", times.stall()));
    boolean last = finalCommitPending && s.step() == progress.lastStep();
    return new Committed(s.step(), committed.get(), last ? Optional.of(loopsEnded(progress))
        : Optional.empty());
  }

  /** Every rank of the world has stopped after its last step without an error. */
  Next ranksStopped(RunProgress progress) {
    if (commits.lastStep() < progress.lastStep()) {
      finalCommitPending = true; // the final shards are still with the Checkpointers
      // ... unless one of them already failed: then the run cannot end with that checkpoint.
      return failures.errorOf(progress.lastStep())
          .map(error -> failed(progress.lastStep(), error, progress)).orElse(WAIT);
    }
    return loopsEnded(progress);
  }

  /** The ranks checkpoint the step and stop (their vote); the run then ends with this reason. */
  void dataUnreadable(WorkerEvent.DataUnreadable u) {
    if (dataStop.isEmpty()) {
      dataStop = Optional.of("stopped after checkpoint step " + u.step() + ": rank " + u.rank()
          + " cannot read its data of step " + (u.step() + 1) + ": " + u.error());
      log.info("a rank cannot read its data: every rank checkpoints step {} and the run stops",
          u.step());
      events.notice("data_unreadable", u.step(), u.error());
    }
  }

  /** For {@link RunStatus}. */
  RunStatus.CheckpointFailure status() {
    return failures.status();
  }

  /** Only the run's final checkpoint failing ends the run. */
  private Next failed(long step, String error, RunProgress progress) {
    boolean news = failures.failed(step, error);
    if (finalCommitPending && step == progress.lastStep()) {
      return new End(1, "the final checkpoint (step " + step + ") could not be written: " + error
          + dataStop.map(d -> "; " + d).orElse(""));
    }
    if (news) {
      log.error("checkpoint of step {} failed: {}; training goes on, {} stays the latest checkpoint"
          + " and the next save_interval tries again", step, error, commits.from());
      events.notice("checkpoint_failed", step, error);
    }
    return WAIT;
  }

  /** Every rank's loop has ended and its last step is committed. */
  private End loopsEnded(RunProgress progress) {
    return dataStop.map(reason -> new End(1, reason))
        .orElseGet(() -> new End(0, "training finished at step " + progress.lastStep()));
  }
}
