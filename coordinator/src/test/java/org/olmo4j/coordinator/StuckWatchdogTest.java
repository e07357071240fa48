package org.olmo4j.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.olmo4j.config.ClusterConfig;
import org.olmo4j.config.DataPlaneConfig;
import org.olmo4j.config.StragglerConfig;
import org.olmo4j.train.TrainState;
import org.olmo4j.worker.WorkerEvent;
import org.olmo4j.worker.WorkerEvent.RankPhase;

/**
 * cluster.stuck_factor: which rank the watchdog names, when (the limit and its floor), and when
 * it names none: ranks passing each other in step, a rank in eval, a paused world, stale reports,
 * before the first step, turned off.
 */
class StuckWatchdogTest {

  private static final long S = 1_000_000_000L;
  private static final World WORLD = world("pekko://olmo4j@h:1", "pekko://olmo4j@h:2",
      "pekko://olmo4j@h:3");

  @Test
  void aRankThatDoesNotReachTheCollectiveTheOthersWaitInIsNamedAfterTheLimit() {
    StuckWatchdog w = new StuckWatchdog(cluster(10.0, 5));
    // Median step 0.2 s: 10 x 0.2 = 2 s is under the 5 s floor.
    Optional<StuckWatchdog.Stuck> named = Optional.empty();
    for (long t = 0; t <= 6; t++) {
      assertEquals(Optional.empty(), named, "named before the limit, at " + t + " s");
      w.report(progress(0, 31, RankPhase.STEP, 93, 1), t * S, WORLD, 0.2);
      w.report(progress(2, 31, RankPhase.STEP, 93, 1), t * S, WORLD, 0.2);
      named = w.report(progress(1, 31, RankPhase.STEP, 92, 0), t * S, WORLD, 0.2);
    }
    StuckWatchdog.Stuck s = named.orElseThrow();
    assertEquals(1, s.rank());
    assertEquals("pekko://olmo4j@h:2", s.node());
    assertEquals(6.0, s.seconds(), 1e-9);
    assertEquals(5.0, s.limit(), 1e-9);
    assertEquals("rank 1 on pekko://olmo4j@h:2 is stuck at step 31 (step): the other ranks have "
        + "waited 6.0 s in collective #93, which it has not reached (limit 5.0 s: max(10 x median "
        + "step 0.20 s, floor 5 s))", s.describe());
  }

  @Test
  void theLimitFollowsTheMedianStepTimeAboveTheFloor() {
    StuckWatchdog w = new StuckWatchdog(cluster(10.0, 5));
    Optional<StuckWatchdog.Stuck> named = Optional.empty();
    for (long t = 0; t <= 11 && named.isEmpty(); t++) {
      w.report(progress(0, 8, RankPhase.STEP, 20, 1), t * S, WORLD, 1.0);
      w.report(progress(2, 8, RankPhase.STEP, 20, 1), t * S, WORLD, 1.0);
      named = w.report(progress(1, 8, RankPhase.CHECKPOINT, 19, 0), t * S, WORLD, 1.0);
      assertTrue(named.isEmpty() || t == 11, "named at " + t + " s, limit 10 s");
    }
    assertEquals(10.0, named.orElseThrow().limit(), 1e-9);
  }

  @Test
  void ranksThatMoveOnAreNeverNamed() {
    StuckWatchdog w = new StuckWatchdog(cluster(10.0, 5));
    for (long t = 0; t < 30; t++) {
      // Each second another rank is a collective behind: passing each other, no one stuck.
      for (int r = 0; r < 3; r++) {
        long entered = 3 * t + (r == t % 3 ? 0 : 1);
        assertEquals(Optional.empty(), w.report(progress(r, t, RankPhase.STEP, entered,
            r == t % 3 ? 0 : 1), t * S, WORLD, 0.2), "at " + t + " s");
      }
    }
  }

  @Test
  void evalPausesStaleReportsTheFirstStepAndOffNameNoOne() {
    assertEquals(Optional.empty(), lagFor(cluster(10.0, 5), RankPhase.EVAL, 60, 0.2, false),
        "eval waits for the exchange timeout");
    assertTrue(lagFor(cluster(10.0, 5), RankPhase.EVAL, 121, 0.2, false).isPresent(),
        "eval past the exchange timeout");
    assertEquals(Optional.empty(), lagFor(cluster(10.0, 5), RankPhase.PAUSED, 60, 0.2, false));
    assertEquals(Optional.empty(), lagFor(cluster(10.0, 5), RankPhase.STEP, 60, Double.NaN, false),
        "before the world's first step");
    assertEquals(Optional.empty(), lagFor(cluster(null, 5), RankPhase.STEP, 60, 0.2, false), "off");
    assertEquals(Optional.empty(), lagFor(cluster(10.0, 5), RankPhase.STEP, 60, 0.2, true),
        "the lagging rank's reports stopped: the failure detector's case");
  }

  /** Rank 1 lags in {@code phase} for {@code seconds} while ranks 0 and 2 wait. */
  private static Optional<StuckWatchdog.Stuck> lagFor(ClusterConfig cfg, RankPhase phase,
      long seconds, double median, boolean laggardSilent) {
    StuckWatchdog w = new StuckWatchdog(cfg);
    Optional<StuckWatchdog.Stuck> named = Optional.empty();
    w.report(progress(1, 5, phase, 9, 0), 0, WORLD, median);
    for (long t = 0; t <= seconds; t++) {
      w.report(progress(0, 5, RankPhase.STEP, 10, 1), t * S, WORLD, median);
      named = w.report(progress(2, 5, RankPhase.STEP, 10, 1), t * S, WORLD, median);
      if (!laggardSilent) {
        named = w.report(progress(1, 5, phase, 9, 0), t * S, WORLD, median);
      }
    }
    return named;
  }

  private static WorkerEvent.Progress progress(int rank, long step, RankPhase phase, long entered,
      int inside) {
    return new WorkerEvent.Progress(1, rank, step, phase, entered, inside);
  }

  private static ClusterConfig cluster(Double factor, double floor) {
    return new ClusterConfig(1, 1, 8, 120, List.of(), 0, null, null, null,
        new StragglerConfig(null, 10), factor, floor, new DataPlaneConfig(0, null, null, true));
  }

  /** A world of one rank per node (the watchdog only reads the ranks' nodes). */
  private static World world(String... nodes) {
    List<WorkerEvent.Registered> ranks = Arrays.stream(nodes)
        .map(n -> new WorkerEvent.Registered(null, n, 0, "127.0.0.1:1", null, null)).toList();
    return new World(1, ranks, new TrainState(0, 0, 0));
  }
}
