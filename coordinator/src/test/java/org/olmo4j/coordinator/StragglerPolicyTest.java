package org.olmo4j.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.olmo4j.config.StragglerConfig;
import org.olmo4j.train.TrainState;
import org.olmo4j.worker.WorkerEvent;
import org.slf4j.LoggerFactory;

/** cluster.straggler: which node is drained after how many steps, and which never is. */
class StragglerPolicyTest {

  @Test
  void thePolicyDrainsAfterKStepsOverRAndNeverWhenOff() {
    World world = world("pekko://olmo4j@h:1", "pekko://olmo4j@h:2", "pekko://olmo4j@h:3");
    StragglerPolicy off = new StragglerPolicy(new StragglerConfig(null, 3), 1);
    StragglerPolicy on = new StragglerPolicy(new StragglerConfig(2.0, 3), 1);
    RankTimes offTimes = new RankTimes(3, off.drainRatio());
    RankTimes onTimes = new RankTimes(3, on.drainRatio());
    for (int i = 0; i < 2; i++) {
      slowRank1(offTimes);
      slowRank1(onTimes);
      assertEquals(Optional.empty(), check(on, onTimes, world, false),
          "after " + (i + 1) + " of 3 steps");
    }
    slowRank1(offTimes);
    slowRank1(onTimes);
    assertEquals(Optional.empty(), check(off, offTimes, world, false), "off");
    assertEquals(Optional.empty(), check(on, onTimes, world, true), "another node is leaving");
    StragglerPolicy.Drain d = check(on, onTimes, world, false).orElseThrow();
    assertEquals(1, d.rank());
    assertEquals("pekko://olmo4j@h:2", d.node());
    assertEquals(4, d.ratio(), 1e-9);
    assertEquals(3, d.steps());
    assertEquals("rank 1 on pekko://olmo4j@h:2 computed 4.00x the median of the other ranks for 3 "
        + "consecutive steps", d.describe());
  }

  @Test
  void thePolicyKeepsTheCoordinatorsNodeAndTheLastWorkersItNeeds() {
    World world = world("pekko://olmo4j@h:1", "pekko://olmo4j@h:2", "pekko://olmo4j@h:3");
    RankTimes times = new RankTimes(3, 2.0);
    for (int i = 0; i < 3; i++) {
      slowRank1(times);
    }
    StragglerPolicy needsThree = new StragglerPolicy(new StragglerConfig(2.0, 3), 3);
    assertEquals(Optional.empty(), check(needsThree, times, world, false), "min_workers 3");
    StragglerPolicy policy = new StragglerPolicy(new StragglerConfig(2.0, 3), 1);
    assertEquals(Optional.empty(), policy.check(times, world, "pekko://olmo4j@h:2", false,
        LoggerFactory.getLogger(StragglerPolicyTest.class)), "the coordinator's node");
  }

  /** Rank 1 computes 0.4 s, ranks 0 and 2 0.1 s (ratio 4). */
  private static void slowRank1(RankTimes t) {
    t.step(new double[] {0.5, 0.5, 0.5}, new double[] {0.4, 0.1, 0.4});
  }

  private static Optional<StragglerPolicy.Drain> check(StragglerPolicy p, RankTimes t, World w,
      boolean pending) {
    return p.check(t, w, "pekko://olmo4j@h:1", pending,
        LoggerFactory.getLogger(StragglerPolicyTest.class));
  }

  /** A world of one rank per node (the policy only reads the ranks' nodes). */
  private static World world(String... nodes) {
    List<WorkerEvent.Registered> ranks = Arrays.stream(nodes)
        .map(n -> new WorkerEvent.Registered(null, n, 0, "127.0.0.1:1", null, null)).toList();
    return new World(1, ranks, new TrainState(0, 0, 0));
  }
}
