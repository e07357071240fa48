package org.olmo4j.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.testkit.TestSubscriber;
import org.apache.pekko.stream.testkit.javadsl.TestSink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.train.Batch;
import org.olmo4j.train.TrainData;

class DataLoaderTest {

  static final int PREFETCH = 2;
  static final ActorTestKit kit = ActorTestKit.create(
      ConfigFactory.parseString("olmo4j.data-loader.prefetch-steps = " + PREFETCH)
          .withFallback(ActorTestKit.applicationTestConfig()));

  @TempDir Path dir;

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  /** Two token files (24 instances: 3 epochs of steps at B = 8) with label masks. */
  TrainConfig run(int globalBatch, int microBatch) throws IOException {
    List<Path> tokens = List.of(LoaderFiles.tokens(dir, "a.npy", 13, 1), LoaderFiles.tokens(dir, "b.npy", 11, 2));
    List<Path> masks = List.of(LoaderFiles.mask(dir, "a.mask", 13, 3), LoaderFiles.mask(dir, "b.mask", 11, 4));
    return LoaderFiles.config(tokens, masks, globalBatch, microBatch);
  }

  static DataLoader.StreamOpened open(ActorRef<DataLoader.Command> loader, int rank, int worldSize,
      long generation, long fromStep, long fromPosition) {
    TestProbe<DataLoader.StreamOpened> probe = kit.createTestProbe();
    loader.tell(new DataLoader.OpenStream(rank, worldSize, generation, fromStep, fromPosition, probe.getRef()));
    DataLoader.StreamOpened opened = probe.receiveMessage(Duration.ofSeconds(10));
    assertEquals(rank, opened.rank());
    assertEquals(generation, opened.generation());
    return opened;
  }

  static List<MicroBatch> take(DataLoader.StreamOpened opened, int n) throws Exception {
    return opened.source().getSource().take(n).runWith(Sink.seq(), kit.system())
        .toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  static Throwable failure(DataLoader.StreamOpened opened) throws Exception {
    var done = opened.source().getSource().runWith(Sink.ignore(), kit.system()).toCompletableFuture();
    ExecutionException e = assertThrows(ExecutionException.class, () -> done.get(20, TimeUnit.SECONDS));
    return e.getCause();
  }

  @ParameterizedTest(name = "B={0} micro={1} N={2}")
  @CsvSource({"8, 2, 1", "8, 2, 2", "8, 2, 4", "12, 4, 2"})
  void ranksTogetherReadTheSingleWorkerGlobalBatch(int globalBatch, int micro, int worldSize) throws Exception {
    TrainConfig cfg = run(globalBatch, micro);
    ActorRef<DataLoader.Command> loader = kit.spawn(DataLoader.create(cfg));
    int rows = globalBatch / worldSize;
    int count = (rows + micro - 1) / micro;
    long fromStep = 1;
    long fromPosition = globalBatch;
    int steps = 3;
    List<List<MicroBatch>> byRank = new ArrayList<>();
    for (int r = 0; r < worldSize; r++) {
      byRank.add(take(open(loader, r, worldSize, 1, fromStep, fromPosition), steps * count));
    }
    try (TrainData data = TrainData.open(cfg)) {
      for (int s = 0; s < steps; s++) {
        long step = fromStep + s;
        long position = fromPosition + (long) s * globalBatch;
        Batch expected = data.batch(position, globalBatch);
        long[] tokens = new long[0];
        boolean[] mask = new boolean[0];
        for (int r = 0; r < worldSize; r++) {
          for (int i = 0; i < count; i++) {
            MicroBatch m = byRank.get(r).get(s * count + i);
            assertEquals(step, m.step());
            assertEquals(i, m.index());
            assertEquals(count, m.count());
            assertEquals(Math.min(micro, rows - i * micro), m.rows());
            assertEquals(position + (long) r * rows + (long) i * micro, m.globalPosition());
            assertEquals(LoaderFiles.SEQ_LEN, m.seqLen());
            tokens = concat(tokens, m.toBatch().tokens());
            mask = concat(mask, m.labelMask());
          }
        }
        assertArrayEquals(expected.tokens(), tokens, "tokens of step " + step);
        assertArrayEquals(expected.labelMask(), mask, "label mask of step " + step);
      }
    }
    loader.tell(new DataLoader.Stop());
  }

  @Test
  void slowConsumerBackPressuresTheReader() throws Exception {
    TrainConfig cfg = run(8, 2);
    WatchedCounter stepsRead = new WatchedCounter();
    ActorRef<DataLoader.Command> loader = kit.spawn(DataLoader.create(cfg, stepsRead));
    DataLoader.StreamOpened opened = open(loader, 1, 2, 1, 5, 40);
    int count = 2;
    TestSubscriber.Probe<MicroBatch> consumer = opened.microBatches(1).runWith(TestSink.create(kit.system()), kit.system());
    long consumedSteps = 0;
    for (int i = 0; i < 7; i++) {
      MicroBatch m = consumer.requestNext(Duration.ofSeconds(10));
      assertEquals(5 + i / count, m.step());
      consumedSteps = m.step() - 5 + 1;
      // The reads fill the read-ahead after each pull: wait for that, then check the bound.
      assertTrue(stepsRead.awaitAtLeast(consumedSteps + PREFETCH, Duration.ofSeconds(10)),
          "read " + stepsRead.sum() + " steps with " + consumedSteps + " consumed");
      // Read ≤ emitting (at most one step past the consumer, held by the receive buffer) + prefetch.
      assertTrue(stepsRead.sum() <= consumedSteps + 1 + PREFETCH, "read " + stepsRead.sum()
          + " steps with " + consumedSteps + " consumed");
    }
    long settled = stepsRead.settled(QUIET);
    assertTrue(settled >= consumedSteps + PREFETCH && settled <= consumedSteps + 1 + PREFETCH,
        "read " + settled + " steps with " + consumedSteps + " consumed, prefetch " + PREFETCH);
    // As expectNoMessage: woken by any further read, which would fail the test at once.
    assertFalse(stepsRead.awaitAtLeast(settled + 1, QUIET),
        "a consumer that does not pull stops the reads");
    assertEquals(settled, stepsRead.sum());
    consumer.cancel();
    loader.tell(new DataLoader.Stop());
  }

  /** How long the read counter must stand still to count as settled. */
  static final Duration QUIET = Duration.ofMillis(300);

  @Test
  void tokenIdAtOrAboveVocabEndsTheStreamNamingTheFile() throws Exception {
    ByteBuffer buf = ByteBuffer.allocate(16 * LoaderFiles.SEQ_LEN * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 16 * LoaderFiles.SEQ_LEN; i++) {
      buf.putShort((short) (i % LoaderFiles.SEQ_LEN == 3 ? LoaderFiles.VOCAB + 5 : i % 50));
    }
    Path bad = Files.write(dir.resolve("bad-tokens.npy"), buf.array());
    ActorRef<DataLoader.Command> loader = kit.spawn(DataLoader.create(LoaderFiles.config(List.of(bad), null, 8, 4)));
    // The stream completes with an element saying why (the rank then checkpoints and stops).
    List<MicroBatch> all = open(loader, 0, 2, 1, 0, 0).source().getSource()
        .runWith(Sink.seq(), kit.system()).toCompletableFuture().get(20, TimeUnit.SECONDS);
    MicroBatch last = all.get(all.size() - 1);
    assertFalse(last.readable());
    assertEquals(1, all.size(), "the stream's first step (step 0) cannot be read");
    assertEquals(0, last.step());
    assertTrue(last.unreadable().contains(bad.toString()) && last.unreadable().contains("vocab_size"),
        last.unreadable());
    loader.tell(new DataLoader.Stop());
  }

  @Test
  void worldSizeThatDoesNotDivideTheGlobalBatchIsRefused() throws Exception {
    ActorRef<DataLoader.Command> loader = kit.spawn(DataLoader.create(run(8, 2)));
    Throwable t = failure(open(loader, 0, 3, 1, 0, 0));
    assertTrue(t.getMessage().contains("global_train_batch_size 8 is not divisible by the world size 3"), t.getMessage());
    loader.tell(new DataLoader.Stop());
  }

  @Test
  void newerGenerationFailsOlderStreamsAndOlderRequestsAreRefused() throws Exception {
    ActorRef<DataLoader.Command> loader = kit.spawn(DataLoader.create(run(8, 2)));
    DataLoader.StreamOpened old = open(loader, 0, 2, 3, 0, 0);
    var oldDone = old.source().getSource().runWith(Sink.ignore(), kit.system()).toCompletableFuture();
    DataLoader.StreamOpened current = open(loader, 1, 2, 4, 0, 0);
    ExecutionException e = assertThrows(ExecutionException.class, () -> oldDone.get(20, TimeUnit.SECONDS));
    assertTrue(e.getCause().getMessage().contains("superseded by generation 4"), e.getCause().getMessage());
    assertEquals(2, take(current, 2).size());
    Throwable refused = failure(open(loader, 0, 2, 3, 0, 0));
    assertTrue(refused.getMessage().contains("older than generation 4"), refused.getMessage());
    loader.tell(new DataLoader.Stop());
  }

  @Test
  void microBatchWithoutMaskHasNullMask() throws Exception {
    Path tokens = LoaderFiles.tokens(dir, "plain.npy", 16, 9);
    ActorRef<DataLoader.Command> loader = kit.spawn(DataLoader.create(LoaderFiles.config(List.of(tokens), null, 8, 4)));
    MicroBatch m = take(open(loader, 0, 1, 1, 0, 0), 1).get(0);
    assertNull(m.labelMask());
    assertEquals(4 * (LoaderFiles.SEQ_LEN - 1), m.toBatch().labelTokens());
    loader.tell(new DataLoader.Stop());
  }

  static long[] concat(long[] a, long[] b) {
    long[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  static boolean[] concat(boolean[] a, boolean[] b) {
    boolean[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
