package org.olmo4j.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A worker assigned a newer generation while it still joins an older one (a peer of that world
 * died before joining) gives the old join up at once rather than at the exchange timeout.
 */
class AbandonedJoinTest {

  private static final ExchangeOptions PATIENT =
      TensorExchangeContractTest.OPTIONS.withTimeout(Duration.ofSeconds(120));

  private static ExchangeServer start() throws Exception {
    return ExchangeServer.start(new InetSocketAddress("127.0.0.1", 0));
  }

  @Test
  void aJoinWaitingForAPeerGivesUpWhenANewerGenerationIsAssigned() throws Exception {
    try (ExchangeServer a = start(); ExchangeServer b = start()) {
      List<InetSocketAddress> both = List.of(a.controlAddress(), b.controlAddress());
      // b never joins generation 1: a waits for its Hello, for up to 120 s.
      CompletableFuture<NetworkExchange> joining =
          CompletableFuture.supplyAsync(() -> a.join(0, 1, both, PATIENT));
      while (a.current() == null && !joining.isDone()) {
        Thread.onSpinWait(); // until a's join is under way (or failed: reported below)
      }
      long t0 = System.nanoTime();
      a.abandonJoinsBefore(2);
      ExecutionException e =
          assertThrows(ExecutionException.class, () -> joining.get(30, TimeUnit.SECONDS));
      double seconds = (System.nanoTime() - t0) / 1e9;
      ExchangeAbortedException aborted =
          assertInstanceOf(ExchangeAbortedException.class, e.getCause(), e.toString());
      assertEquals(2, aborted.newGeneration());
      assertTrue(seconds < 5, "gave up after " + seconds + " s");
      // The assigned generation forms on the same servers.
      List<TensorExchange> w = NetworkExchangeTest.join(List.of(a, b), 2, PATIENT);
      NetworkExchangeTest.assertComputesAndClose(w);
    }
  }

  /** The loop being built had not reached its join yet: the join fails before waiting. */
  @Test
  void anOlderGenerationIsNotJoinedOnceANewerOneIsAssigned() throws Exception {
    try (ExchangeServer a = start(); ExchangeServer b = start()) {
      a.abandonJoinsBefore(3);
      long t0 = System.nanoTime();
      ExchangeAbortedException aborted = assertThrows(ExchangeAbortedException.class,
          () -> a.join(0, 2, List.of(a.controlAddress(), b.controlAddress()), PATIENT));
      assertEquals(3, aborted.newGeneration());
      assertTrue((System.nanoTime() - t0) / 1e9 < 5, "failed at once");
    }
  }

  /**
   * A world that has joined is left to its owner's abort (which tells its peers): it still
   * computes.
   */
  @Test
  void aJoinedWorldIsLeftToItsOwner() throws Exception {
    try (ExchangeServer a = start(); ExchangeServer b = start()) {
      List<TensorExchange> w = NetworkExchangeTest.join(List.of(a, b), 1, PATIENT);
      a.abandonJoinsBefore(2);
      NetworkExchangeTest.assertComputesAndClose(w);
    }
  }
}
