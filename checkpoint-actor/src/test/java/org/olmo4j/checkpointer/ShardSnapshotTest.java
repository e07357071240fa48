package org.olmo4j.checkpointer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.model.ShardPlan;
import org.olmo4j.optim.AdamWShard;

class ShardSnapshotTest {

  static Checkpointer.ShardWritten written(Checkpointer.WriteShard w) {
    return new Checkpointer.ShardWritten(w.generation(), w.step(), w.rank(), "f", 1, 0.1, w.stallSeconds(), null);
  }

  @Test
  void takeClonesTheStateAndTheRange() {
    FlatLayout layout = TestShards.layout(11, 4);
    AdamWShard shard = TestShards.filled(layout, 1, 2, 7);
    float[] master = shard.master().clone();
    Checkpointer.WriteShard w = ShardSnapshot.take(shard, 3, 40, 1, 2, null);
    Arrays.fill(shard.master(), 0f);
    assertArrayEquals(master, w.master());
    assertArrayEquals(shard.expAvg(), w.expAvg());
    assertNotSame(shard.expAvgSq(), w.expAvgSq());
    assertEquals(List.of(layout.shardRange(1, 2)), w.plan().pieces());
    assertEquals(3, w.generation());
    assertEquals(40, w.step());
    assertTrue(w.stallSeconds() >= 0);
  }

  /**
   * The asynchronous copy: the caller goes on at once; the optimizer's next update waits until
   * the copy is made (so the snapshot is the state at hand-off, not a mix with the update), and
   * that wait is the stall {@link ShardSnapshot#release} returns.
   */
  @Test
  void anAsyncCopyHoldsTheNextUpdateAndItsWaitIsTheStall() throws Exception {
    FlatLayout layout = TestShards.layout(11, 4);
    AdamWShard shard = TestShards.filled(layout, 0, 2, 8);
    float[] handedOff = shard.master().clone();
    ShardSnapshot pool = new ShardSnapshot(2);
    CountDownLatch copyMayRun = new CountDownLatch(1);
    ExecutorService copier = Executors.newSingleThreadExecutor();
    try {
      copier.execute(() -> {
        try {
          copyMayRun.await(); // the copy is late: the next update must wait for it
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      var copying = pool.copyAsync(shard, 1, 10, 0, 2, null, copier).orElseThrow();
      shard.holdUntil(copying, waited -> pool.waited(1, 10, waited));
      float[] grad = new float[shard.master().length];
      Arrays.fill(grad, 1f); // the update changes every weight
      CompletableFuture<Void> update = CompletableFuture.runAsync(
          () -> shard.step(grad, 1e-2, 1, 1));
      copyMayRun.countDown();
      update.get(10, TimeUnit.SECONDS);
      Checkpointer.WriteShard w = copying.get();
      assertArrayEquals(handedOff, w.master(), "the snapshot is the state at hand-off");
      assertTrue(shard.master()[0] != handedOff[0], "the update ran after the copy");
      assertEquals(0, w.stallSeconds(), "handing off does not stall");
      double stall = pool.release(written(w));
      assertTrue(stall >= 0, "the update's wait is the stall: " + stall);
      assertEquals(0, pool.release(written(w)), "released once");
    } finally {
      copier.shutdownNow();
    }
  }

  @Test
  void copyReusesReleasedBuffersAndRefusesBeyondCapacity() {
    FlatLayout layout = TestShards.layout(11, 4);
    AdamWShard shard = TestShards.filled(layout, 0, 2, 8);
    ShardSnapshot pool = new ShardSnapshot(2);
    Checkpointer.WriteShard a = pool.copy(shard, 1, 10, 0, 2, null).orElseThrow();
    float[] atStep10 = shard.master().clone();
    Arrays.fill(shard.master(), 2f);
    Checkpointer.WriteShard b = pool.copy(shard, 1, 20, 0, 2, null).orElseThrow();
    assertArrayEquals(atStep10, a.master(), "a later copy leaves an earlier snapshot alone");
    assertTrue(pool.copy(shard, 1, 30, 0, 2, null).isEmpty(), "both buffer sets are with the checkpointer");
    assertThrows(IllegalStateException.class, () -> pool.copy(shard, 1, 20, 0, 2, null));

    pool.release(written(a));
    Arrays.fill(shard.master(), 3f);
    Checkpointer.WriteShard c = pool.copy(shard, 1, 30, 0, 2, null).orElseThrow();
    assertSame(a.master(), c.master(), "the released set is reused");
    assertArrayEquals(shard.master(), c.master());
    assertNotSame(b.master(), c.master());
  }

  @Test
  void aShardOfAnotherLengthGetsNewBuffers() {
    FlatLayout layout = TestShards.layout(11, 4);
    ShardSnapshot pool = new ShardSnapshot(1);
    Checkpointer.WriteShard a = pool.copy(TestShards.filled(layout, 0, 2, 1), 1, 10, 0, 2, null).orElseThrow();
    pool.release(written(a));
    AdamWShard wider = TestShards.filled(layout, 0, 1, 2); // the world re-formed with one rank
    Checkpointer.WriteShard b = pool.copy(wider, 2, 10, 0, 1, null).orElseThrow();
    assertEquals(wider.master().length, b.master().length);
    assertArrayEquals(wider.expAvgSq(), b.expAvgSq());
  }

  @Test
  void aReservedSetIsTheOneTheFirstCopyUsesWithinCapacity() {
    FlatLayout layout = TestShards.layout(11, 4);
    AdamWShard shard = TestShards.filled(layout, 0, 2, 5);
    ShardSnapshot pool = new ShardSnapshot(1);
    pool.reserve(shard.master().length + 1); // a reservation for the shard of an older world
    pool.reserve(shard.master().length);
    pool.reserve(shard.master().length); // already there: nothing more within capacity 1
    Checkpointer.WriteShard a = pool.copy(shard, 1, 10, 0, 2, null).orElseThrow();
    assertArrayEquals(shard.master(), a.master());
    pool.reserve(shard.master().length); // the only set is with the checkpointer
    assertTrue(pool.copy(shard, 1, 20, 0, 2, null).isEmpty(), "capacity 1 holds with reservations");
    pool.release(written(a));
    assertSame(a.master(), pool.copy(shard, 1, 20, 0, 2, null).orElseThrow().master());
  }
}
