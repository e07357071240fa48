package org.olmo4j.coordinator;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.olmo4j.config.ClusterConfig;
import org.olmo4j.worker.GpuWorker;
import org.olmo4j.worker.WorkerEvent;
import org.slf4j.Logger;

/**
 * The progress watchdog ({@code cluster.stuck_factor}): every rank reports each second where it
 * is ({@link WorkerEvent.Progress}); a rank that is alive but has not reached the collective the
 * other ranks wait in — stuck in a kernel, a dead file system, its data — is named once that has
 * lasted max(stuck_factor × the median recent step time, stuck_floor_seconds). Collectives line
 * the ranks up, so while one rank lags, the others can only be inside the one it has not entered.
 * A rank reported in in-loop eval gets the exchange timeout instead: eval shares differ in length
 * and need no collective (SHARD_GRAD_OP). Not armed before the world's first step (no median
 * yet; loading a checkpoint may take long), and a rank whose reports stopped is the failure
 * detector's. A stuck rank cannot be waited out nor drained (a drain needs its checkpoint), so
 * {@link #remove} downs its node; its JVM then exits, and a restarted node joins at the next
 * checkpoint. The coordinator then re-forms the world from the last checkpoint.
 */
final class StuckWatchdog {

  /** A report older than this is not used: its node is frozen or gone (the failure detector's). */
  private static final long FRESH_NANOS = 3_000_000_000L;

  /** Rank {@code rank} on {@code node} has not entered collective {@code collective} for so long. */
  record Stuck(int rank, String node, long step, WorkerEvent.RankPhase phase, long collective,
      double seconds, double limit, String limitReason) {
    String describe() {
      return String.format(Locale.ROOT, "rank %d on %s is stuck at step %d (%s): the other ranks "
          + "have waited %.1f s in collective #%d, which it has not reached (limit %.1f s: %s)",
          rank, node, step, phase.name().toLowerCase(Locale.ROOT), seconds, collective, limit,
          limitReason);
    }
  }

  private record Seen(WorkerEvent.Progress report, long atNanos) {}

  /** Since when a rank has lagged at the same count of collectives entered. */
  private record Lag(long entered, long sinceNanos) {}

  private final Double factor;
  private final double floorSeconds;
  private final double evalSeconds;
  private final Map<Integer, Seen> seen = new HashMap<>();
  private final Map<Integer, Lag> lags = new HashMap<>();

  StuckWatchdog(ClusterConfig cfg) {
    this.factor = cfg.stuckFactor();
    this.floorSeconds = cfg.stuckFloorSeconds();
    this.evalSeconds = cfg.exchangeTimeoutSeconds();
  }

  /**
   * Takes the stuck rank out: tells its worker to abort (fencing: its collectives fail once it
   * wakes, whatever becomes of its node) and downs its node; a node cannot down itself without
   * ending the coordinator, so a stuck worker on the coordinator's own node is left out of the
   * next worlds instead.
   */
  void remove(Stuck s, World world, WorkerPool pool, String selfAddress, ActorSystem<?> system,
      Logger log) {
    WorkerEvent.Registered stuck = world.ranks().get(s.rank());
    stuck.worker().tell(new GpuWorker.Abort(world.generation() + 1));
    if (s.node().equals(selfAddress)) {
      log.warn("{}; it runs on the coordinator's node, which cannot down itself: its worker is left"
          + " out of the next worlds (restart the node to bring it back)", s.describe());
      pool.leaveOut(stuck.worker());
    } else {
      log.warn("{}: downing its node", s.describe());
      Cluster.get(system).manager().tell(new Down(AddressFromURIString.parse(s.node())));
      pool.removeNode(s.node());
    }
  }

  /** A new world: reports of the old one mean nothing now. */
  void reset() {
    seen.clear();
    lags.clear();
  }

  /**
   * Records a report of a rank of {@code world} (already checked to be of its generation) and
   * says whether some rank is stuck now.
   *
   * @param medianStepSeconds the world's recent median step time; NaN before its first step
   */
  Optional<Stuck> report(WorkerEvent.Progress p, long nowNanos, World world,
      double medianStepSeconds) {
    seen.put(p.rank(), new Seen(p, nowNanos));
    if (factor == null || world.size() < 2 || Double.isNaN(medianStepSeconds)) {
      return Optional.empty();
    }
    long ahead = 0;
    for (Seen s : seen.values()) {
      if (nowNanos - s.atNanos() <= FRESH_NANOS) {
        ahead = Math.max(ahead, s.report().collectivesEntered());
      }
    }
    Stuck worst = null;
    for (Seen s : seen.values()) {
      WorkerEvent.Progress r = s.report();
      boolean lagging = nowNanos - s.atNanos() <= FRESH_NANOS && r.collectivesInside() == 0
          && r.collectivesEntered() < ahead && r.phase() != WorkerEvent.RankPhase.PAUSED;
      if (!lagging) {
        lags.remove(r.rank());
        continue;
      }
      Lag lag = lags.get(r.rank());
      if (lag == null || lag.entered() != r.collectivesEntered()) {
        lag = new Lag(r.collectivesEntered(), s.atNanos());
        lags.put(r.rank(), lag);
      }
      double waited = (nowNanos - lag.sinceNanos()) / 1e9;
      double scaled = factor * medianStepSeconds;
      double limit = r.phase() == WorkerEvent.RankPhase.EVAL ? evalSeconds
          : Math.max(scaled, floorSeconds);
      String why = r.phase() == WorkerEvent.RankPhase.EVAL
          ? "cluster.exchange_timeout_seconds while it evaluates"
          : String.format(Locale.ROOT, "max(%.0f x median step %.2f s, floor %.0f s)", factor,
              medianStepSeconds, floorSeconds);
      if (waited > limit && (worst == null || waited > worst.seconds())) {
        worst = new Stuck(r.rank(), world.ranks().get(r.rank()).node(), r.step(), r.phase(),
            ahead, waited, limit, why);
      }
    }
    return Optional.ofNullable(worst);
  }
}
