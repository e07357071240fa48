package org.olmo4j.coordinator;

import java.util.List;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.train.ShardGroups;
import org.olmo4j.worker.WorkerEvent;
import org.slf4j.Logger;

/**
 * Which registered workers the next world takes: the first {@code cluster.max_workers} in rank
 * order, under HYBRID_SHARD cut to the largest multiple of the replicas, and none — waiting for
 * more, said once in one line — while they are fewer than {@code cluster.min_workers}.
 */
final class WorldChoice {

  private final TrainConfig cfg;
  private final Logger log;
  private boolean waitingLogged;

  WorldChoice(TrainConfig cfg, Logger log) {
    this.cfg = cfg;
    this.log = log;
  }

  /** The ranks of the next world, or empty while waiting for more workers. */
  List<WorkerEvent.Registered> ranks(List<WorkerEvent.Registered> candidates, boolean anyWorkers) {
    int min = cfg.cluster().minWorkers();
    if (candidates.size() < min) {
      if (!waitingLogged && anyWorkers) {
        log.info("waiting for workers: {} of cluster.min_workers = {} up", candidates.size(), min);
        waitingLogged = true;
      }
      return List.of();
    }
    int up = Math.min(candidates.size(), cfg.cluster().maxWorkers());
    List<WorkerEvent.Registered> ranks = takeable(candidates);
    if (ranks.size() < up) {
      int replicas = ShardGroups.replicasOf(cfg, World.nodes(candidates.subList(0, up)));
      if (ranks.isEmpty() || ranks.size() < min) {
        if (!waitingLogged) {
          log.info("waiting for workers: HYBRID_SHARD's {} replicas take a multiple of {} workers,"
              + " at least cluster.min_workers = {}; {} up", replicas, replicas, min, up);
          waitingLogged = true;
        }
        return List.of();
      }
      log.info("HYBRID_SHARD's {} replicas take a multiple of {} workers: {} of the {} up train, "
          + "the others wait", replicas, replicas, ranks.size(), up);
    }
    waitingLogged = false;
    return ranks;
  }

  /**
   * The first max_workers candidates, under HYBRID_SHARD cut to the largest multiple of the
   * replicas (one per node of them when hybrid_sharding_num_model_replicas is null).
   */
  List<WorkerEvent.Registered> takeable(List<WorkerEvent.Registered> candidates) {
    List<WorkerEvent.Registered> up =
        candidates.subList(0, Math.min(candidates.size(), cfg.cluster().maxWorkers()));
    int replicas = ShardGroups.replicasOf(cfg, World.nodes(up));
    return List.copyOf(up.subList(0, up.size() - up.size() % replicas));
  }
}
