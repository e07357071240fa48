package org.olmo4j.worker;

import org.apache.pekko.actor.typed.ActorRef;
import org.olmo4j.cluster.ClusterMessage;

/** What a {@link GpuWorker} tells the coordinator; every event names its generation and rank. */
public sealed interface WorkerEvent extends ClusterMessage {

  /** The generation (world) the event belongs to; -1 for events outside any world. */
  default long generation() {
    return -1;
  }

  /**
   * The worker is up: where its data plane listens ({@code replicaEndpoint}: its second server,
   * for HYBRID_SHARD's replica group; null under the other strategies), and the last world it was
   * part of ({@code lastWorld} null if none) so that a coordinator taking over can continue the run.
   */
  record Registered(ActorRef<GpuWorker.Command> worker, String node, int localIndex,
      String exchangeEndpoint, String replicaEndpoint, RestartPoint lastWorld)
      implements WorkerEvent {}

  /**
   * Where a world of {@code generation} can be restarted from: the newest checkpoint committed
   * during it ({@code checkpointDir}), or the one it started from (null: the initialisation);
   * {@code weightsOnly} as in {@link GpuWorker.Assign}.
   */
  record RestartPoint(long generation, String checkpointDir, boolean weightsOnly) {}

  /** The world of {@code generation} is set up on this rank: model built, shard loaded. */
  record Ready(long generation, int rank, long optimizerStateBytes, long shardElements)
      implements WorkerEvent {}

  /**
   * Step {@code step} finished on this rank; loss and norm are global (equal on all ranks).
   * {@code stepSeconds}: from asking for its micro-batches to the end of the step;
   * {@code exchangeSeconds}: the part of it spent waiting for collectives ({@link CollectiveClock}:
   * transfers, and waiting for the other ranks); {@code computeSeconds}: forward/backward and the
   * other work of the step outside those waits and the optimizer; {@code optimizerSeconds}: AdamW
   * on the shard; {@code collectiveSeconds}: the collectives' own time, waited for or hidden
   * behind compute (FULL_SHARD's overlap: exposed = exchangeSeconds of it).
   */
  record StepDone(long generation, int rank, long step, double loss, double zLoss, double lr,
      double gradNorm, double clipCoefficient, long tokens, double stepSeconds,
      double computeSeconds, double exchangeSeconds, double optimizerSeconds, long rssBytes,
      long maskedInstances, double collectiveSeconds)
      implements WorkerEvent {}

  /**
   * This rank's shard of step {@code step} is durable in {@code stepN.tmp/} ({@code error} null),
   * or could not be written. {@code stallSeconds}: how long training waited for the snapshot.
   */
  record ShardSaved(long generation, int rank, long step, String file, double writeSeconds,
      double stallSeconds, String error) implements WorkerEvent {}

  /** What a rank's loop is doing, as its {@link Progress} reports say. */
  enum RankPhase { STEP, CHECKPOINT, EVAL, PAUSED }

  /**
   * Where a rank is, sent every second by its worker whatever the loop's thread is doing (the
   * coordinator's stuck-rank watchdog compares the ranks): the step it works on, the phase, how
   * many collectives of this world it has entered and how many it is inside now.
   */
  record Progress(long generation, int rank, long step, RankPhase phase, long collectivesEntered,
      int collectivesInside) implements WorkerEvent {}

  /**
   * This rank cannot read its data of the step after {@code step} ({@code error} names the file);
   * it voted with {@code step} that every rank checkpoints that step and stops.
   */
  record DataUnreadable(long generation, int rank, long step, String error) implements WorkerEvent {}

  /** This rank scored its share of the eval plan at a step; the coordinator hands it to the Evaluator. */
  record EvalDone(long generation, int rank, org.olmo4j.evaluator.Evaluator.RankScored scored)
      implements WorkerEvent {}

  /** Every rank agreed to pause after {@code step}; this one waits for {@link GpuWorker.Resume}. */
  record Paused(long generation, int rank, long step) implements WorkerEvent {}

  /**
   * The loop of {@code generation} ended after {@code lastStep}; {@code error} null if it
   * completed. {@code fatal}: retrying cannot help (the loss diverged, the data is bad).
   */
  record Stopped(long generation, int rank, long lastStep, String error, boolean fatal)
      implements WorkerEvent {}
}
