package org.olmo4j.coordinator;

import java.util.HashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.olmo4j.config.StragglerConfig;
import org.slf4j.Logger;

/**
 * {@code cluster.straggler}: names the node to drain once a rank's compute time has been over
 * {@code drain_ratio} × the median of the other ranks' for {@code steps} consecutive steps; never
 * when drain_ratio is null. It decides and logs; the coordinator drains through {@link Departures}.
 */
final class StragglerPolicy {

  /** Drain {@code node}: its rank {@code rank} computed {@code ratio} × the others' median. */
  record Drain(int rank, String node, double ratio, int steps) {
    String describe() {
      return String.format(Locale.ROOT, "rank %d on %s computed %.2fx the median of the other "
          + "ranks for %d consecutive steps", rank, node, ratio, steps);
    }
  }

  private final StragglerConfig cfg;
  private final int minWorkers;
  /** Nodes already named as stragglers that could not be drained (logged once each). */
  private final Set<String> kept = new HashSet<>();

  StragglerPolicy(StragglerConfig cfg, int minWorkers) {
    this.cfg = cfg;
    this.minWorkers = minWorkers;
  }

  /** The {@code drainRatio} for {@link RankTimes}: +∞ when the policy is off. */
  double drainRatio() {
    return cfg.drainRatio() == null ? Double.POSITIVE_INFINITY : cfg.drainRatio();
  }

  /**
   * After a step of {@code world}: the node to drain now, if any. Not while another node is
   * leaving ({@code drainPending}), nor the coordinator's node, nor one whose leaving would
   * leave fewer than cluster.min_workers workers (each such case is logged once).
   */
  Optional<Drain> check(RankTimes times, World world, String self, boolean drainPending,
      Logger log) {
    if (cfg.drainRatio() == null || drainPending) {
      return Optional.empty();
    }
    int rank = -1;
    for (int r = 0; r < world.size(); r++) {
      boolean over = times.streak(r) >= cfg.steps();
      if (over && (rank < 0 || times.lastRatio(r) > times.lastRatio(rank))) {
        rank = r;
      }
    }
    if (rank < 0) {
      return Optional.empty();
    }
    String node = world.ranks().get(rank).node();
    Drain d = new Drain(rank, node, times.lastRatio(rank), times.streak(rank));
    long left = world.ranks().stream().filter(r -> !r.node().equals(node)).count();
    String keptBecause = node.equals(self) ? "that node hosts the coordinator"
        : left < minWorkers ? "draining it would leave " + left + " worker(s), fewer than "
            + "cluster.min_workers = " + minWorkers : null;
    if (keptBecause == null) {
      log.warn("straggler: {} (cluster.straggler.drain_ratio = {}): draining its node",
          d.describe(), cfg.drainRatio());
      return Optional.of(d);
    }
    if (kept.add(node)) {
      log.warn("straggler: {}, but {}: not drained", d.describe(), keptBecause);
    }
    return Optional.empty();
  }
}
