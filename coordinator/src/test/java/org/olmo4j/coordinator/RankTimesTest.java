package org.olmo4j.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The straggler arithmetic: per-rank medians, the slowest rank's ratio, streaks over a ratio. */
class RankTimesTest {

  private static final double EPS = 1e-12;

  @Test
  void mediansOfOddAndEvenCounts() {
    assertEquals(2, RankTimes.median(new double[] {3, 1, 2}), EPS);
    assertEquals(2.5, RankTimes.median(new double[] {4, 1, 3, 2}), EPS);
    assertTrue(Double.isNaN(RankTimes.median(new double[0])));
  }

  @Test
  void aRankIsComparedWithTheMedianOfTheOthers() {
    // Two ranks: the other rank itself (a median of both could not exceed 2).
    assertEquals(4, RankTimes.ratioToOthers(new double[] {0.1, 0.4}, 1), EPS);
    assertEquals(0.25, RankTimes.ratioToOthers(new double[] {0.1, 0.4}, 0), EPS);
    // Three: the mean of the other two; four: the middle one of the other three.
    assertEquals(2, RankTimes.ratioToOthers(new double[] {0.1, 0.3, 0.4}, 2), EPS);
    assertEquals(4.5, RankTimes.ratioToOthers(new double[] {0.1, 0.2, 0.9, 0.3}, 2), EPS);
    assertTrue(Double.isNaN(RankTimes.ratioToOthers(new double[] {0.1}, 0)), "no others");
  }

  @Test
  void computeIsTheStepLessTheWaitAndTheSlowestRankIsNamedWithItsRatio() {
    RankTimes t = new RankTimes(3, Double.POSITIVE_INFINITY);
    // Rank 2 works 0.5 s; ranks 0 and 1 work 0.1 / 0.2 s and wait for it in the collectives.
    for (int i = 0; i < 5; i++) {
      t.step(new double[] {0.6, 0.6, 0.6}, new double[] {0.5, 0.4, 0.1});
    }
    assertEquals(new RankTimes.Rank(0, 0.6, 0.1, 0.5), rounded(t.rank(0)));
    assertEquals(new RankTimes.Rank(2, 0.6, 0.5, 0.1), rounded(t.rank(2)));
    RankTimes.Slowest s = t.slowest();
    assertEquals(2, s.rank());
    assertEquals(0.5 / 0.15, s.ratio(), 1e-9);
    assertEquals(5, t.steps());
  }

  @Test
  void theWindowKeepsTheLastStepsAndItsMedianIgnoresAnOutlier() {
    RankTimes t = new RankTimes(2, Double.POSITIVE_INFINITY);
    for (int i = 0; i < 10; i++) {
      t.step(new double[] {1, 1}, new double[] {0.9, 0});  // rank 1 slow at first
    }
    for (int i = 0; i < RankTimes.WINDOW; i++) {
      t.step(new double[] {1, 1}, new double[] {0, 0.9});  // then rank 0
    }
    assertEquals(RankTimes.WINDOW, t.steps());
    assertEquals(0, t.slowest().rank(), "only the last WINDOW steps count");
    t.step(new double[] {5, 5}, new double[] {4.95, 0}); // one step of rank 1 at 5 s
    assertEquals(1, t.rank(0).computeSeconds(), 1e-9, "the median is not moved by one outlier");
    assertEquals(0, t.slowest().rank());
  }

  @Test
  void oneRankHasNoSlowestAndWaitLongerThanTheStepCountsAsNoCompute() {
    RankTimes one = new RankTimes(1, 2);
    one.step(new double[] {0.3}, new double[] {0.0});
    assertEquals(RankTimes.Slowest.NONE, one.slowest());
    assertEquals(0, one.streak(0));
    RankTimes none = new RankTimes(2, 2);
    assertEquals(RankTimes.Slowest.NONE, none.slowest(), "before the first step");
    none.step(new double[] {0.3, 0.3}, new double[] {0.3000001, 0.1});
    assertEquals(0, none.rank(0).computeSeconds());
  }

  @Test
  void aStreakCountsConsecutiveStepsOverTheRatio() {
    RankTimes t = new RankTimes(2, 2);
    t.step(new double[] {1, 1}, new double[] {0.7, 0}); // 1 / 0.3 = 3.3
    t.step(new double[] {1, 1}, new double[] {0.7, 0});
    assertEquals(2, t.streak(1));
    assertEquals(0, t.streak(0));
    t.step(new double[] {1, 1}, new double[] {0.5, 0}); // 1 / 0.5 = 2: not over
    assertEquals(0, t.streak(1));
    t.step(new double[] {1, 1}, new double[] {0.7, 0});
    assertEquals(1, t.streak(1));
    assertEquals(1 / 0.3, t.lastRatio(1), 1e-9);
  }

  private static RankTimes.Rank rounded(RankTimes.Rank r) {
    return new RankTimes.Rank(r.rank(), round(r.stepSeconds()), round(r.computeSeconds()),
        round(r.waitSeconds()));
  }

  private static double round(double v) {
    return Math.round(v * 1e9) / 1e9;
  }
}
