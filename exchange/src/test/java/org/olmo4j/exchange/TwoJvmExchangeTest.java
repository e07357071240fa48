package org.olmo4j.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A world of this JVM and a child JVM on 127.0.0.1: collectives of Ψ, then of unit-sized vectors
 * back to back; then the child is killed with -9 mid-exchange.
 */
class TwoJvmExchangeTest {

  @Test
  void exchangesWithAChildJvmAndFailsFastWhenItIsKilled(@TempDir Path dir) throws Exception {
    int psi = 300_001;
    Path report = dir.resolve("child-report.txt");
    ExchangeOptions options = ExchangeOptions.DEFAULTS.withTimeout(Duration.ofSeconds(10));
    Process child = LoopbackRendezvous.spawn(ExchangePeerMain.class.getName(), List.of("-Xmx256m"),
        List.of(String.valueOf(psi), report.toString()));
    try (ExchangeServer server = ExchangeServer.start(new InetSocketAddress(LoopbackRendezvous.HOST, 0))) {
      List<InetSocketAddress> endpoints = LoopbackRendezvous.formWorld(server, List.of(child),
          List.of(LoopbackRendezvous.output(child)), 1);
      NetworkExchange ex = server.join(0, 1, endpoints, options);
      ShardRanges ranges = new ShardRanges(psi, 2);
      float[] shard = new float[ranges.length(0)];
      ex.reduceScatter(TensorExchangeContractTest.gradient(0, psi), shard);
      TensorExchangeContractTest.assertBitsEqual(
          Arrays.copyOfRange(TensorExchangeContractTest.rankOrderSum(2, psi), 0, shard.length), shard,
          "rank 0 shard");
      short[] mine = new short[shard.length];
      for (int i = 0; i < mine.length; i++) {
        mine[i] = (short) i;
      }
      short[] full = new short[psi];
      ex.allGatherBf16(mine, full);
      for (int i = 0; i < psi; i++) {
        assertEquals((short) i, full[i], "bf16 element " + i);
      }
      for (UnitOp op : UnitOp.aStepOfUnits()) {
        op.check(2, 0, op.expected(2), op.runOn(ex));
      }
      // The child writes its verdict, then joins this all-reduce: it is complete once the sum is in.
      assertEquals(2.0, ex.allReduceSum(1.0), "both ranks finished their checks");
      assertEquals("ok", Files.readString(report), "child's own check");

      List<Thread> inside = new CopyOnWriteArrayList<>();
      CompletableFuture<Void> blocked = CompletableFuture.runAsync(() -> {
        inside.add(Thread.currentThread());
        ex.reduceScatter(new float[psi], new float[shard.length]);
      });
      ExchangeFailureContract.awaitWaitingInside(inside, 1);
      long t0 = System.nanoTime();
      child.destroyForcibly();
      ExecutionException e = assertThrows(ExecutionException.class, () -> blocked.get(20, TimeUnit.SECONDS));
      long elapsedMs = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(e.getCause() instanceof ExchangeException, e.getCause().toString());
      assertFalse(e.getCause() instanceof ExchangeAbortedException, e.getCause().toString());
      String message = e.getCause().getMessage();
      assertTrue(message.contains("rank 1 at 127.0.0.1:" + endpoints.get(1).getPort()), message);
      assertTrue(elapsedMs < options.timeout().toMillis(), "took " + elapsedMs + " ms: " + message);
    } finally {
      child.destroyForcibly();
    }
  }
}
