package org.olmo4j.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.olmo4j.exchange.TensorExchangeContractTest.OPTIONS;
import static org.olmo4j.exchange.TensorExchangeContractTest.gradient;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.olmo4j.exchange.TensorExchangeContractTest.RankBody;

/**
 * How every {@link TensorExchange} fails: an abort, a peer that disappears or stays silent, calls
 * that do not match. Part of the contract suite: {@link TensorExchangeContractTest} implements it,
 * so each implementation's subclass runs these tests too.
 */
interface ExchangeFailureContract {

  /** A world of {@code n} ranks for {@code generation}, closed after the test. */
  List<TensorExchange> world(int n, long generation, ExchangeOptions options);

  /** {@code body} started on every rank of {@code ranks}, each on a thread of its own. */
  <T> List<Future<T>> start(List<TensorExchange> ranks, RankBody<T> body);

  /** {@code body} run on every rank of {@code world}; their results in rank order. */
  <T> List<T> onAll(List<TensorExchange> world, RankBody<T> body) throws Exception;

  /**
   * Returns once {@code count} threads have entered a collective (added themselves to
   * {@code threads} just before) and wait inside it for their peers: a rank's calling thread
   * waits only for its send and receive tasks, so WAITING means blocked in the collective.
   */
  static void awaitWaitingInside(List<Thread> threads, int count) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (threads.size() < count || !threads.stream().allMatch(t ->
        t.getState() == Thread.State.WAITING || t.getState() == Thread.State.TIMED_WAITING)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the ranks did not block in the collective: "
            + threads.stream().map(Thread::getState).toList());
      }
      Thread.yield();
    }
  }

  static Throwable failureOf(Future<?> f) throws Exception {
    ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(20, TimeUnit.SECONDS));
    return e.getCause();
  }

  /**
   * {@code ranks} (two of a world of three) inside a reduce-scatter that waits for the third,
   * once both are blocked in it.
   */
  private List<Future<Object>> blockedInAReduceScatter(List<TensorExchange> ranks) {
    int psi = 100_000;
    List<Thread> inside = new CopyOnWriteArrayList<>();
    List<Future<Object>> blocked = start(ranks, ex -> {
      float[] g = gradient(ex.rank(), psi);
      inside.add(Thread.currentThread());
      ex.reduceScatter(g, new float[new ShardRanges(psi, 3).length(ex.rank())]);
      return null;
    });
    awaitWaitingInside(inside, ranks.size());
    return blocked;
  }

  @Test
  default void abortFailsBlockedPeersFastThenANewGenerationWorks() throws Exception {
    List<TensorExchange> w = world(3, 4, OPTIONS);
    List<Future<Object>> blocked = blockedInAReduceScatter(w.subList(1, 3));
    long t0 = System.nanoTime();
    w.get(0).abort(5);
    for (Future<Object> f : blocked) {
      Throwable e = failureOf(f);
      ExchangeAbortedException aborted = assertInstanceOf(ExchangeAbortedException.class, e);
      assertEquals(4, aborted.generation());
      assertEquals(5, aborted.newGeneration());
      assertTrue(e.getMessage().contains("4") && e.getMessage().contains("5"), e.getMessage());
    }
    assertTrue(System.nanoTime() - t0 < OPTIONS.timeout().toNanos(), "abort was not faster than the timeout");
    assertThrows(ExchangeAbortedException.class, () -> w.get(0).allReduceSum(1.0));

    List<TensorExchange> next = world(3, 5, OPTIONS);
    List<Double> sums = onAll(next, ex -> ex.allReduceSum(ex.rank() + 1.0));
    assertEquals(List.of(6.0, 6.0, 6.0), sums);
  }

  @Test
  default void aPeerThatDisappearsFailsTheOthersWithinTheBound() throws Exception {
    List<TensorExchange> w = world(3, 1, OPTIONS);
    List<Future<Object>> blocked = blockedInAReduceScatter(w.subList(0, 2));
    long t0 = System.nanoTime();
    w.get(2).close();
    for (Future<Object> f : blocked) {
      Throwable e = failureOf(f);
      assertInstanceOf(ExchangeException.class, e);
      assertFalse(e instanceof ExchangeAbortedException, e.toString());
      assertTrue(e.getMessage().contains("rank 2"), e.getMessage());
    }
    assertTrue(System.nanoTime() - t0 < OPTIONS.timeout().toNanos() + 1_000_000_000L);
    assertThrows(ExchangeException.class, () -> w.get(0).allReduceSum(1.0));
  }

  @Test
  default void aSilentPeerTimesOutNamingIt() throws Exception {
    ExchangeOptions quick = OPTIONS.withTimeout(Duration.ofMillis(800));
    List<TensorExchange> w = world(2, 1, quick);
    Throwable e = failureOf(start(w.subList(0, 1), ex -> ex.allReduceSum(1.0)).get(0));
    assertInstanceOf(ExchangeException.class, e);
    assertTrue(e.getMessage().contains("timed out") && e.getMessage().contains("rank 1"), e.getMessage());
  }

  @Test
  default void mismatchedCallsAreRejectedWithTheSizes() throws Exception {
    List<TensorExchange> w = world(2, 1, OPTIONS);
    List<Future<Object>> calls = start(w, ex -> ex.allReduceSum(new double[2 + ex.rank()]));
    for (Future<Object> f : calls) {
      Throwable e = failureOf(f);
      assertInstanceOf(ExchangeException.class, e);
      assertTrue(e.getMessage().contains("2") && e.getMessage().contains("3"), e.getMessage());
    }
  }

  @Test
  default void aShardOfTheWrongLengthIsRefusedLocally() {
    List<TensorExchange> w = world(2, 1, OPTIONS);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> w.get(1).reduceScatter(new float[11], new float[6]));
    assertTrue(e.getMessage().contains("owns 5 of 11"), e.getMessage());
  }
}
