package org.olmo4j.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The exchange contract over real gRPC and AF_UNIX bulk sockets on 127.0.0.1 (the ranks share
 * this host), one {@link ExchangeServer} per rank; {@link TcpNetworkExchangeTest} runs it over
 * TCP.
 */
class NetworkExchangeTest extends TensorExchangeContractTest {

  final List<ExchangeServer> servers = new ArrayList<>();

  /** Whether the servers offer same-host peers their AF_UNIX bulk socket. */
  boolean unixSockets() {
    return true;
  }

  ExchangeServer startServer() throws IOException {
    return ExchangeServer.start(ExchangeServer.Endpoints.anyPort("127.0.0.1", unixSockets()));
  }

  /** Ranks on one host send bulk frames to each other over AF_UNIX, unless that is turned off. */
  @ParameterizedTest(name = "N={0}")
  @ValueSource(ints = {2, 3})
  void bulkFramesTakeTheTransportConfigured(int n) throws Exception {
    List<TensorExchange> w = newWorld(n, 1, OPTIONS);
    opened.addAll(w);
    for (TensorExchange ex : w) {
      List<Integer> others = new ArrayList<>();
      for (int r = 0; r < n; r++) {
        if (r != ex.rank()) {
          others.add(r);
        }
      }
      assertEquals(unixSockets() && !UnixBulk.HOST_ID.isEmpty() ? others : List.of(),
          ((NetworkExchange) ex).unixPeers(), "rank " + ex.rank() + "'s AF_UNIX peers");
    }
    List<double[]> sums = onAll(w, ex -> ex.allReduceSum(new double[] {ex.rank() + 1}));
    for (double[] sum : sums) {
      assertEquals(n * (n + 1) / 2.0, sum[0]);
    }
  }

  @Override
  protected List<TensorExchange> newWorld(int n, long generation, ExchangeOptions options) {
    try {
      while (servers.size() < n) {
        servers.add(startServer());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return join(servers.subList(0, n), generation, options);
  }

  /**
   * Many chunks per shard, chunks larger than a summation block, and ranks whose chunk sizes differ
   * (frames then straddle the receiver's chunks): the sum is still the rank-order sum, to the bit.
   */
  @ParameterizedTest(name = "N={0} chunk bytes {1}")
  @CsvSource({"2,4096 4096", "3,4096 262144 1048576", "4,262144 4096 8192 4096"})
  void reduceScatterFoldsManyChunksInRankOrder(int n, String chunkBytes) throws Exception {
    int psi = 300_007;
    String[] chunks = chunkBytes.split(" ");
    List<ExchangeOptions> options = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      options.add(OPTIONS.withChunkBytes(Integer.parseInt(chunks[r])));
      servers.add(startServer());
    }
    List<TensorExchange> w = join(servers, 1, options);
    opened.addAll(w);
    ShardRanges ranges = new ShardRanges(psi, n);
    float[] expected = rankOrderSum(n, psi);
    for (int round = 0; round < 2; round++) {
      List<float[]> shards = onAll(w, ex -> {
        float[] shard = new float[ranges.length(ex.rank())];
        ex.reduceScatter(gradient(ex.rank(), psi), shard);
        return shard;
      });
      for (int r = 0; r < n; r++) {
        float[] want = Arrays.copyOfRange(expected, (int) ranges.start(r), (int) ranges.end(r));
        assertBitsEqual(want, shards.get(r), "round " + round + ", rank " + r + " shard");
      }
    }
  }

  /**
   * Fencing: a rank left behind in an old world (a node that left, or one that wakes up after it
   * was removed) aborts that world as it shuts down; the peers are in a newer world by then, which
   * goes on. Its abort names the world it aborts, not only a newer generation.
   */
  @org.junit.jupiter.api.Test
  void anAbortOfAnOldWorldDoesNotEndTheNewerOneItsPeersJoined() throws Exception {
    for (int r = 0; r < 3; r++) {
      servers.add(startServer());
    }
    List<TensorExchange> old = join(servers, 1, OPTIONS);
    opened.addAll(old);
    old.get(0).close();
    old.get(1).close();
    List<TensorExchange> next = join(servers.subList(0, 2), 2, OPTIONS);
    opened.addAll(next);
    old.get(2).abort(Long.MAX_VALUE); // as a leaving node's worker does when it stops
    List<double[]> sums = onAll(next, ex -> ex.allReduceSum(new double[] {ex.rank() + 1}));
    for (double[] sum : sums) {
      assertEquals(3.0, sum[0], "the newer world still works");
    }
  }

  /** Joins every server to one world, in parallel (each join waits for the others). */
  /** A world of two ranks sums 1 and 2 (each rank on its own thread), then is closed. */
  static void assertComputesAndClose(List<TensorExchange> w) throws Exception {
    CompletableFuture<Double> other =
        CompletableFuture.supplyAsync(() -> w.get(1).allReduceSum(2.0));
    assertEquals(3.0, w.get(0).allReduceSum(1.0));
    assertEquals(3.0, other.get(30, TimeUnit.SECONDS));
    w.forEach(TensorExchange::close);
  }

  static List<TensorExchange> join(List<ExchangeServer> servers, long generation, ExchangeOptions options) {
    return join(servers, generation, java.util.Collections.nCopies(servers.size(), options));
  }

  /** As above, rank r with {@code options.get(r)}. */
  static List<TensorExchange> join(List<ExchangeServer> servers, long generation,
      List<ExchangeOptions> options) {
    List<InetSocketAddress> endpoints = servers.stream().map(ExchangeServer::controlAddress).toList();
    ExecutorService pool = Executors.newCachedThreadPool();
    try {
      List<Future<NetworkExchange>> joins = new ArrayList<>();
      for (int r = 0; r < servers.size(); r++) {
        int rank = r;
        joins.add(pool.submit(() -> servers.get(rank).join(rank, generation, endpoints, options.get(rank))));
      }
      List<TensorExchange> world = new ArrayList<>();
      for (Future<NetworkExchange> f : joins) {
        world.add(f.get(20, TimeUnit.SECONDS));
      }
      return world;
    } catch (Exception e) {
      throw new IllegalStateException("world of " + servers.size() + " did not form", e);
    } finally {
      pool.shutdown();
    }
  }

  @AfterEach
  void closeServers() {
    servers.forEach(ExchangeServer::close);
  }
}
