package org.olmo4j.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.olmo4j.model.FlatVector;
import org.olmo4j.train.Collectives;

/** A step's wait: timed around the collectives of one thread, the step's own when they overlap. */
class CollectiveClockTest {

  private static final long PEER_MS = 20;
  /** Stands for the step's own measure; never a time this clock measures here. */
  private static final double OWN = 99;

  @Test
  void theCollectivesOfOneThreadAreTimedAroundEachCall() {
    CollectiveClock clock = new CollectiveClock(latePeer());
    clock.allReduceSum(new double[] {1});
    clock.allReduceSum(new double[] {2});
    double waited = clock.lap(OWN);
    assertTrue(waited >= 2 * PEER_MS / 1000.0 && waited < OWN, "waited " + waited);
    assertEquals(0, clock.lap(OWN), "each lap starts from zero");
  }

  @Test
  void collectivesOnAnotherThreadLeaveTheStepsOwnMeasure() throws InterruptedException {
    CollectiveClock clock = new CollectiveClock(latePeer());
    clock.allReduceSum(new double[] {1});
    Thread overlapping = new Thread(() -> clock.allReduceSum(new double[] {2}));
    overlapping.start();
    overlapping.join();
    assertEquals(OWN, clock.lap(OWN), "time inside overlapped collectives is not time waited");
    clock.allReduceSum(new double[] {3});
    double waited = clock.lap(OWN);
    assertTrue(waited >= PEER_MS / 1000.0 && waited < OWN, "the next lap is one thread's: " + waited);
  }

  /** HYBRID_SHARD's replica group, timed alongside: both groups' collectives count and are waited. */
  @Test
  void aSecondGroupCountsOnTheSameClock() {
    CollectiveClock clock = new CollectiveClock(latePeer());
    Collectives replicas = clock.alongside(latePeer());
    clock.allReduceSum(new double[] {1});
    replicas.allReduceSum(new double[] {2});
    assertEquals(2, clock.entered(), "collectives of both groups entered");
    assertEquals(0, clock.inside());
    double waited = clock.lap(OWN);
    assertTrue(waited >= 2 * PEER_MS / 1000.0 && waited < OWN, "waited " + waited);
  }

  /** One rank whose all-reduce returns once a late peer has arrived, {@link #PEER_MS} later. */
  private static Collectives latePeer() {
    return new Collectives() {
      @Override
      public int rank() {
        return 0;
      }

      @Override
      public int worldSize() {
        return 2;
      }

      @Override
      public void reduceScatter(FlatVector full, float[] myShard) {
        throw new UnsupportedOperationException();
      }

      @Override
      public void allGatherInPlace(FlatVector full) {
        throw new UnsupportedOperationException();
      }

      @Override
      public double[] allReduceSum(double[] values) {
        long arrives = System.nanoTime() + PEER_MS * 1_000_000;
        while (System.nanoTime() < arrives) {
          Thread.onSpinWait();
        }
        return values.clone();
      }
    };
  }
}
