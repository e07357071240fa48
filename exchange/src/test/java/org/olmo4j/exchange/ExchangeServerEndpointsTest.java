package org.olmo4j.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A server binds one pair of ports and tells peers another (NAT, port mappings, proxies). */
class ExchangeServerEndpointsTest {

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void advertisesTheGivenAddressesInItsListingAndItsHello() throws Exception {
    ExchangeServer.Endpoints e = new ExchangeServer.Endpoints(
        new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0),
        InetSocketAddress.createUnresolved("gw.example", 30000),
        InetSocketAddress.createUnresolved("gw.example", 30001));
    try (ExchangeServer s = ExchangeServer.start(e)) {
      assertEquals("gw.example:30000", Handshake.endpoint(s.controlAddress()));
      assertEquals("gw.example:30001", s.helloFrom(0, 2, 1).getBulkEndpoint());
    }
  }

  @Test
  void fixedPortsServeAWorldAndAreBoundAgainRightAfterAClose() throws Exception {
    int control = freePort();
    int bulk = freePort();
    ExchangeServer.Endpoints fixed = new ExchangeServer.Endpoints(
        new InetSocketAddress("127.0.0.1", control), new InetSocketAddress("127.0.0.1", bulk),
        null, null);
    for (int generation = 1; generation <= 2; generation++) { // the second: a restarted node
      try (ExchangeServer a = ExchangeServer.start(fixed);
          ExchangeServer b = ExchangeServer.start(new InetSocketAddress("127.0.0.1", 0))) {
        assertEquals(new InetSocketAddress("127.0.0.1", control), a.controlAddress());
        assertEquals("127.0.0.1:" + bulk, a.helloFrom(0, 2, generation).getBulkEndpoint());
        List<TensorExchange> w = NetworkExchangeTest.join(List.of(a, b), generation,
            TensorExchangeContractTest.OPTIONS);
        CompletableFuture<Double> other =
            CompletableFuture.supplyAsync(() -> w.get(1).allReduceSum(2.0));
        assertEquals(3.0, w.get(0).allReduceSum(1.0));
        assertEquals(3.0, other.get(30, TimeUnit.SECONDS));
        w.forEach(TensorExchange::close);
      }
    }
  }
}
