package org.olmo4j.coordinator;

import java.util.List;
import org.olmo4j.cluster.ClusterMessage;

/** Where the run stands, as the control plane reports it (translated to protobuf at the edge). */
public record RunStatus(String state, long step, long maxSteps, long tokens, double loss,
    double tokensPerSecond, double mfu, double etaSeconds, long generation,
    List<Worker> workers, String lastCheckpoint, long lastCheckpointStep, String coordinatorNode,
    double stepSeconds, double computeSeconds, double exchangeSeconds, double optimizerSeconds,
    double checkpointSeconds, double recoverySeconds, Slowest slowest,
    CheckpointFailure checkpointFailure)
    implements ClusterMessage {

  /**
   * A registered worker: its rank in the current world (-1: spare), what it does, and its medians
   * over the world's last steps (NaN before its first step): step time, compute (the step less
   * the wait) and wait (time spent waiting for collectives). README: Stragglers.
   */
  public record Worker(int rank, String node, int localIndex, String state, double stepSeconds,
      double computeSeconds, double waitSeconds) {}

  /**
   * The rank with the highest median compute time, its node and its ratio to the median of the
   * other ranks'; {@code steps}: the steps the medians cover. Rank -1: fewer than two ranks or
   * no step yet.
   */
  public record Slowest(int rank, String node, double ratio, int steps) {}

  /**
   * Checkpoints that could not be written or committed so far ({@code count}), and the newest
   * one: its step (-1: none) and the error naming the path and the cause.
   */
  public record CheckpointFailure(long count, long step, String error) {}

  static RunStatus of(String state, World world, WorkerPool pool, RunProgress progress,
      long maxSteps, long generation, long lastCommittedStep,
      java.util.Optional<org.olmo4j.train.TrainCheckpoints.ResumePoint> resume, String self,
      double checkpointSeconds, double recoverySeconds, CheckpointFailure checkpointFailure) {
    org.olmo4j.train.StepMetrics last = progress == null ? null : progress.last();
    List<Worker> workers = new java.util.ArrayList<>();
    // Between worlds (world null) the progress is the last world's: its ranks are gone.
    RankTimes times = world == null || progress == null ? null : progress.rankTimes();
    for (org.olmo4j.worker.WorkerEvent.Registered r : pool.registered()) {
      int rank = world == null ? -1 : world.ranks().indexOf(r);
      String s = world == null ? "waiting" : rank < 0 ? "spare" : state;
      RankTimes.Rank t = times != null && rank >= 0 ? times.rank(rank) : RankTimes.Rank.none(rank);
      workers.add(new Worker(rank, r.node(), r.localIndex(), s, t.stepSeconds(),
          t.computeSeconds(), t.waitSeconds()));
    }
    RankTimes.Slowest slow = times == null ? RankTimes.Slowest.NONE : times.slowest();
    Slowest slowest = new Slowest(slow.rank(), slow.rank() < 0 ? ""
        : world.ranks().get(slow.rank()).node(), slow.ratio(), times == null ? 0 : times.steps());
    long step = progress != null ? progress.lastStep()
        : resume.map(p -> p.state().step()).orElse(0L);
    return new RunStatus(state, step, maxSteps, last == null ? 0 : last.tokens(),
        last == null ? Double.NaN : last.loss(), last == null ? 0 : last.tokensPerS(),
        last == null ? 0 : last.mfu(), progress == null ? Double.NaN : progress.etaSeconds(),
        generation, workers, resume.map(p -> p.dir().toString()).orElse(""),
        lastCommittedStep, self, last == null ? Double.NaN : last.stepSeconds(),
        last == null ? Double.NaN : last.computeSeconds(),
        last == null ? Double.NaN : last.exchangeSeconds(),
        last == null ? Double.NaN : last.optimizerSeconds(), checkpointSeconds, recoverySeconds,
        slowest, checkpointFailure);
  }
}
