package org.olmo4j.exchange;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;

/** The exchange contract over real gRPC and TCP on 127.0.0.1, one {@link ExchangeServer} per rank. */
class NetworkExchangeTest extends TensorExchangeContractTest {

  final List<ExchangeServer> servers = new ArrayList<>();

  @Override
  protected List<TensorExchange> newWorld(int n, long generation, ExchangeOptions options) {
    try {
      while (servers.size() < n) {
        servers.add(ExchangeServer.start(new InetSocketAddress("127.0.0.1", 0)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return join(servers.subList(0, n), generation, options);
  }

  /** Joins every server to one world, in parallel (each join waits for the others). */
  static List<TensorExchange> join(List<ExchangeServer> servers, long generation, ExchangeOptions options) {
    List<InetSocketAddress> endpoints = servers.stream().map(ExchangeServer::controlAddress).toList();
    ExecutorService pool = Executors.newCachedThreadPool();
    try {
      List<Future<NetworkExchange>> joins = new ArrayList<>();
      for (int r = 0; r < servers.size(); r++) {
        int rank = r;
        joins.add(pool.submit(() -> servers.get(rank).join(rank, generation, endpoints, options)));
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
