package org.olmo4j.checkpointer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.checkpoint.CheckpointStore;
import org.olmo4j.checkpoint.Manifest;
import org.olmo4j.checkpoint.ShardReader;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.model.ShardPlan;
import org.olmo4j.optim.AdamWShard;

class CheckpointerTest {

  static final ActorTestKit kit = ActorTestKit.create();
  static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path dir;

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  static Checkpointer.WriteShard request(long generation, long step, int rank, int elements,
      TestProbe<Checkpointer.ShardWritten> probe) {
    float[] a = new float[elements];
    Arrays.fill(a, rank + step);
    return new Checkpointer.WriteShard(generation, step, rank, 64, pieces(0, elements), a, a.clone(), a.clone(),
        0.001, probe.getRef());
  }

  /** Occupies every thread of the checkpointer's dispatcher until the returned latch opens. */
  static CountDownLatch blockWriters() throws InterruptedException {
    Executor ex = kit.system().dispatchers().lookup(DispatcherSelector.fromConfig(Checkpointer.DISPATCHER));
    int threads = kit.system().settings().config()
        .getInt(Checkpointer.DISPATCHER + ".thread-pool-executor.fixed-pool-size");
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch started = new CountDownLatch(threads);
    for (int i = 0; i < threads; i++) {
      CompletableFuture.runAsync(() -> {
        started.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, ex);
    }
    assertTrue(started.await(10, TimeUnit.SECONDS), "the dispatcher's threads are blocked");
    return release;
  }

  @Test
  void writtenShardsCommitAndReadBackExactly() throws Exception {
    FlatLayout layout = TestShards.layout(37, 8);
    ActorRef<Checkpointer.Command> cp = kit.spawn(Checkpointer.create(dir));
    TestProbe<Checkpointer.ShardWritten> probe = kit.createTestProbe();
    AdamWShard[] shards = new AdamWShard[3];
    float[][] expected = new float[3][];
    for (int r = 0; r < 3; r++) {
      shards[r] = TestShards.filled(layout, r, 3, 100 + r);
      expected[r] = shards[r].master().clone();
      Checkpointer.WriteShard w = ShardSnapshot.take(shards[r], 4, 20, r, 3, probe.getRef());
      // The worker trains on: its live arrays change, the snapshot must not.
      Arrays.fill(shards[r].master(), Float.NaN);
      cp.tell(w);
    }
    CheckpointStore store = new CheckpointStore(dir);
    for (int r = 0; r < 3; r++) {
      Checkpointer.ShardWritten done = probe.expectMessageClass(Checkpointer.ShardWritten.class, WAIT);
      assertNull(done.error());
      assertEquals(r, done.rank());
      assertEquals(4, done.generation());
      assertEquals(20, done.step());
      Path file = store.tmpDir(20, 4).resolve(CheckpointStore.shardFileName(r, 3));
      assertEquals(file.toString(), done.file());
      assertEquals(Files.size(file), done.bytes());
      assertTrue(done.writeSeconds() > 0 && done.stallSeconds() >= 0);
    }
    store.commit(20, Manifest.of(20, 4, 3, new Manifest.TrainState(20, 20 * 512, 20 * 4, 0, 6198, null),
        "seed: 6198\n", layout));
    CheckpointStore.verify(store.stepDir(20));
    try (ShardReader reader = ShardReader.open(store.stepDir(20), layout)) {
      for (int r = 0; r < 3; r++) {
        ShardReader.ShardState s = reader.read(shards[r].plan());
        assertArrayEquals(expected[r], s.master());
        assertArrayEquals(shards[r].expAvg(), s.expAvg());
        assertArrayEquals(shards[r].expAvgSq(), s.expAvgSq());
      }
    }
  }

  @Test
  void writesCompleteOneAtATimeInArrivalOrder() {
    ActorRef<Checkpointer.Command> cp = kit.spawn(Checkpointer.create(dir));
    TestProbe<Checkpointer.ShardWritten> probe = kit.createTestProbe();
    // A large shard first: were writes concurrent, the small ones behind it would finish first.
    cp.tell(request(1, 10, 0, 3 << 20, probe));
    for (int r = 1; r < 6; r++) {
      cp.tell(request(1, 10, r, 16, probe));
    }
    for (int r = 0; r < 6; r++) {
      Checkpointer.ShardWritten done = probe.expectMessageClass(Checkpointer.ShardWritten.class, WAIT);
      assertNull(done.error());
      assertEquals(r, done.rank());
    }
  }

  @Test
  void aNewerGenerationDropsQueuedWritesOfOlderOnes() throws Exception {
    ActorRef<Checkpointer.Command> cp = kit.spawn(Checkpointer.create(dir));
    TestProbe<Checkpointer.ShardWritten> probe = kit.createTestProbe();
    CountDownLatch release = blockWriters();
    cp.tell(request(1, 10, 0, 16, probe)); // being written (waits for a thread)
    cp.tell(request(1, 10, 1, 16, probe)); // queued
    cp.tell(request(2, 8, 0, 16, probe)); // the world re-formed
    Checkpointer.ShardWritten dropped = probe.expectMessageClass(Checkpointer.ShardWritten.class, WAIT);
    assertEquals(1, dropped.rank());
    assertEquals(1, dropped.generation());
    assertTrue(dropped.error().contains("superseded by generation 2"), dropped.error());
    cp.tell(request(1, 10, 2, 16, probe));
    Checkpointer.ShardWritten refused = probe.expectMessageClass(Checkpointer.ShardWritten.class, WAIT);
    assertEquals(2, refused.rank());
    assertTrue(refused.error().contains("older than generation 2"), refused.error());
    release.countDown();
    Checkpointer.ShardWritten running = probe.expectMessageClass(Checkpointer.ShardWritten.class, WAIT);
    assertEquals(1, running.generation());
    assertNull(running.error());
    Checkpointer.ShardWritten newer = probe.expectMessageClass(Checkpointer.ShardWritten.class, WAIT);
    assertEquals(2, newer.generation());
    assertNull(newer.error());
    assertTrue(Files.isRegularFile(dir.resolve("step8.g2.tmp").resolve(CheckpointStore.shardFileName(0, 64))));
    assertTrue(Files.notExists(dir.resolve("step10.g1.tmp").resolve(CheckpointStore.shardFileName(1, 64))));
  }

  @Test
  void aRankWithTooManyPendingSnapshotsIsRefused() throws Exception {
    int maxPending = kit.system().settings().config().getInt(Checkpointer.MAX_PENDING_KEY);
    ActorRef<Checkpointer.Command> cp = kit.spawn(Checkpointer.create(dir));
    TestProbe<Checkpointer.ShardWritten> probe = kit.createTestProbe();
    CountDownLatch release = blockWriters();
    for (int i = 0; i < maxPending; i++) {
      cp.tell(request(1, 10 * (i + 1), 0, 16, probe));
    }
    cp.tell(request(1, 100, 0, 16, probe));
    Checkpointer.ShardWritten refused = probe.expectMessageClass(Checkpointer.ShardWritten.class, WAIT);
    assertEquals(100, refused.step());
    assertTrue(refused.error().contains(Checkpointer.MAX_PENDING_KEY + " = " + maxPending), refused.error());
    cp.tell(request(1, 10, 1, 16, probe)); // another rank is not affected
    release.countDown();
    for (int i = 0; i < maxPending; i++) {
      Checkpointer.ShardWritten done = probe.expectMessageClass(Checkpointer.ShardWritten.class, WAIT);
      assertEquals(10L * (i + 1), done.step());
      assertNull(done.error());
    }
    Checkpointer.ShardWritten other = probe.expectMessageClass(Checkpointer.ShardWritten.class, WAIT);
    assertEquals(1, other.rank());
    assertNull(other.error());
  }

  @Test
  void aFailedWriteRepliesWithTheFileAndTheCheckpointerCarriesOn() throws Exception {
    Path saveFolder = dir.resolve("save");
    Files.writeString(saveFolder, "a file where the save folder should be");
    ActorRef<Checkpointer.Command> cp = kit.spawn(Checkpointer.create(saveFolder));
    TestProbe<Checkpointer.ShardWritten> probe = kit.createTestProbe();
    cp.tell(request(1, 10, 3, 16, probe));
    Checkpointer.ShardWritten failed = probe.expectMessageClass(Checkpointer.ShardWritten.class, WAIT);
    assertNotNull(failed.error());
    Path target = saveFolder.resolve("step10.g1.tmp").resolve(CheckpointStore.shardFileName(3, 64));
    assertTrue(failed.error().contains(target.toString()), failed.error());
    assertEquals(0, failed.bytes());

    Files.delete(saveFolder);
    Files.createDirectory(saveFolder);
    cp.tell(request(1, 10, 3, 16, probe));
    Checkpointer.ShardWritten ok = probe.expectMessageClass(Checkpointer.ShardWritten.class, WAIT);
    assertNull(ok.error());
    assertEquals(target.toString(), ok.file());
  }

  @Test
  void aSnapshotWhoseArraysDoNotMatchItsRangeFails() {
    ActorRef<Checkpointer.Command> cp = kit.spawn(Checkpointer.create(dir));
    TestProbe<Checkpointer.ShardWritten> probe = kit.createTestProbe();
    float[] a = new float[4];
    cp.tell(new Checkpointer.WriteShard(1, 3, 0, 2, pieces(0, 5), a, a, a, 0, probe.getRef()));
    Checkpointer.ShardWritten failed = probe.expectMessageClass(Checkpointer.ShardWritten.class, WAIT);
    assertTrue(failed.error().contains("master has 4 elements"), failed.error());
  }

  private static ShardPlan pieces(long start, long end) {
    return ShardPlan.ofPieces(List.of(new FlatLayout.Range(start, end)));
  }
}
