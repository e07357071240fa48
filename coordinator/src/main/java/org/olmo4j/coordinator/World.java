package org.olmo4j.coordinator;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.olmo4j.train.ShardGroups;
import org.olmo4j.train.TrainCheckpoints;
import org.olmo4j.train.TrainState;
import org.olmo4j.worker.GpuWorker;
import org.olmo4j.worker.WorkerEvent;

/**
 * The ranks of one generation, how they are grouped ({@link ShardGroups}: one group but under
 * HYBRID_SHARD) and where they start; what the coordinator tells them.
 */
record World(long generation, List<WorkerEvent.Registered> ranks, ShardGroups groups,
    TrainState start) {

  /** A world of one shard group. */
  World(long generation, List<WorkerEvent.Registered> ranks, TrainState start) {
    this(generation, ranks, ShardGroups.single(ranks.size()), start);
  }

  int size() {
    return ranks.size();
  }

  boolean contains(ActorRef<GpuWorker.Command> worker) {
    return ranks.stream().anyMatch(r -> r.worker().equals(worker));
  }

  boolean holdsRanksOn(String nodeAddress) {
    return ranks.stream().anyMatch(r -> r.node().equals(nodeAddress));
  }

  /** Nodes taking part (the workers of one node share its cores). */
  long nodes() {
    return nodes(ranks);
  }

  /** Nodes the workers {@code ranks} run on. */
  static int nodes(List<WorkerEvent.Registered> ranks) {
    return (int) ranks.stream().map(WorkerEvent.Registered::node).distinct().count();
  }

  /** Sends every rank its assignment: train from {@code start} to {@code maxSteps}. */
  void assign(long maxSteps, Optional<TrainCheckpoints.ResumePoint> from,
      ActorRef<WorkerEvent> reportTo) {
    List<String> endpoints = ranks.stream().map(WorkerEvent.Registered::exchangeEndpoint).toList();
    // Under HYBRID_SHARD every rank's second server hosts its replica group (every node has
    // one: nodes agree on fsdp, NodeConfigs).
    List<String> replicaEndpoints = groups.replicas() == 1 ? List.of()
        : ranks.stream().map(WorkerEvent.Registered::replicaEndpoint).toList();
    for (int rank = 0; rank < ranks.size(); rank++) {
      ranks.get(rank).worker().tell(new GpuWorker.Assign(generation, rank, ranks.size(),
          endpoints, groups.replicas(), replicaEndpoints, start.step(), start.dataPosition(), maxSteps,
          from.map(r -> r.dir().toString()).orElse(null),
          from.map(TrainCheckpoints.ResumePoint::weightsOnly).orElse(false), reportTo));
    }
  }

  /** Every rank checkpoints the next step. */
  void requestCheckpoint() {
    ranks.forEach(r -> r.worker().tell(new GpuWorker.SaveNow(generation)));
  }

  /** Every rank pauses at the next step boundary. */
  void pause() {
    ranks.forEach(r -> r.worker().tell(new GpuWorker.Pause(generation)));
  }

  /** Every paused rank goes on. */
  void resume() {
    ranks.forEach(r -> r.worker().tell(new GpuWorker.Resume(generation)));
  }

  /** Tells every rank the checkpoint committed in {@code dir}: where this world can restart. */
  void committed(Path dir) {
    ranks.forEach(r -> r.worker().tell(new GpuWorker.Committed(generation, dir.toString())));
  }

  /** Stops the ranks still registered in {@code pool}; their collectives fail fast. */
  void abort(long nextGeneration, WorkerPool pool) {
    for (WorkerEvent.Registered r : ranks) {
      if (pool.isRegistered(r.worker())) {
        r.worker().tell(new GpuWorker.Abort(nextGeneration));
      }
    }
  }
}
