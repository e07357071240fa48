package org.olmo4j.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server binds one pair of ports and tells peers another (NAT, port mappings, proxies); peers
 * on its host reach it over AF_UNIX unless it is told to be reached elsewhere.
 */
class ExchangeServerEndpointsTest {

  /**
   * A free port below the kernel's ephemeral range, as a fixed {@code cluster.data_plane.port}
   * is: a port from the ephemeral range can be taken, between this check and the bind, as the
   * local port of some outgoing connection of this JVM.
   */
  private static int freePort() throws Exception {
    String[] range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim()
        .split("\\s+");
    int below = Math.max(2048, Integer.parseInt(range[0]));
    SplittableRandom random = new SplittableRandom();
    for (int attempt = 0; attempt < 100; attempt++) {
      int port = 1024 + random.nextInt(below - 1024);
      try (ServerSocket s = new ServerSocket()) {
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
        return port;
      } catch (IOException taken) {
        // Another one.
      }
    }
    throw new IllegalStateException("no free port below " + below);
  }

  @Test
  void advertisesTheGivenAddressesInItsListingAndItsHello() throws Exception {
    ExchangeServer.Endpoints e = new ExchangeServer.Endpoints(
        new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0),
        InetSocketAddress.createUnresolved("gw.example", 30000),
        InetSocketAddress.createUnresolved("gw.example", 30001), true);
    try (ExchangeServer s = ExchangeServer.start(e)) {
      assertEquals("gw.example:30000", Handshake.endpoint(s.controlAddress()));
      assertEquals("gw.example:30001", s.helloFrom(0, 2, 1).getBulkEndpoint());
      assertEquals("", s.helloFrom(0, 2, 1).getUnixBulkPath(),
          "peers told to come through another address get no AF_UNIX shortcut around it");
    }
  }

  /**
   * A peer whose AF_UNIX socket cannot be reached (here: its file removed; another mount
   * namespace looks the same) is reached over TCP, the other direction stays on AF_UNIX; a
   * closed server removes its socket file.
   */
  @Test
  void aPeerWhoseUnixSocketIsGoneIsReachedOverTcp() throws Exception {
    assumeFalse(UnixBulk.HOST_ID.isEmpty(), "no boot id: no AF_UNIX transport on this system");
    Path socket;
    try (ExchangeServer a = ExchangeServer.start(new InetSocketAddress("127.0.0.1", 0));
        ExchangeServer b = ExchangeServer.start(new InetSocketAddress("127.0.0.1", 0))) {
      socket = Path.of(b.helloFrom(1, 2, 1).getUnixBulkPath());
      assertTrue(Files.exists(socket), socket + " exists while its server runs");
      Files.delete(socket);
      List<TensorExchange> w = NetworkExchangeTest.join(List.of(a, b), 1,
          TensorExchangeContractTest.OPTIONS);
      assertEquals(List.of(), ((NetworkExchange) w.get(0)).unixPeers(), "rank 0 to rank 1");
      assertEquals(List.of(0), ((NetworkExchange) w.get(1)).unixPeers(), "rank 1 to rank 0");
      NetworkExchangeTest.assertComputesAndClose(w);
      socket = Path.of(a.helloFrom(0, 2, 2).getUnixBulkPath());
    }
    assertFalse(Files.exists(socket), socket + " is removed with its server");
  }

  /**
   * A server whose own unix_sockets is off neither offers its socket nor uses a peer's: the
   * bulk frames between it and a same-host peer go over TCP both ways.
   */
  @Test
  void aServerWithUnixSocketsOffUsesTcpBothWays() throws Exception {
    try (ExchangeServer off = ExchangeServer.start(
            ExchangeServer.Endpoints.anyPort("127.0.0.1", false));
        ExchangeServer on = ExchangeServer.start(new InetSocketAddress("127.0.0.1", 0))) {
      assertEquals("", off.helloFrom(0, 2, 1).getUnixBulkPath());
      List<TensorExchange> w = NetworkExchangeTest.join(List.of(off, on), 1,
          TensorExchangeContractTest.OPTIONS);
      assertEquals(List.of(), ((NetworkExchange) w.get(0)).unixPeers(), "rank 0 (off) to rank 1");
      assertEquals(List.of(), ((NetworkExchange) w.get(1)).unixPeers(), "rank 1 to rank 0 (off)");
      w.forEach(TensorExchange::close);
    }
  }

  /**
   * A connection refused at an AF_UNIX socket (another server's: a path that names another
   * process in a shared directory looks the same) is made again over TCP to the peer's port.
   */
  @Test
  void aConnectionRefusedAtAUnixSocketIsMadeOverTcp() throws Exception {
    assumeFalse(UnixBulk.HOST_ID.isEmpty(), "no boot id: no AF_UNIX transport on this system");
    try (ExchangeServer a = ExchangeServer.start(new InetSocketAddress("127.0.0.1", 0));
        ExchangeServer b = ExchangeServer.start(new InetSocketAddress("127.0.0.1", 0));
        ExchangeServer other = ExchangeServer.start(new InetSocketAddress("127.0.0.1", 0))) {
      // b joins generation 1 as rank 1 and accepts rank 0's bulk connection meanwhile; its join
      // then gives up on Hello (a never joins), which is not what is tested.
      CompletableFuture<Void> joining = CompletableFuture.runAsync(() -> {
        try {
          b.join(1, 1, List.of(a.controlAddress(), b.controlAddress()),
              TensorExchangeContractTest.OPTIONS.withTimeout(java.time.Duration.ofSeconds(5)));
        } catch (ExchangeException expected) {
          // a never joins
        }
      });
      while (b.current() == null) {
        Thread.onSpinWait();
      }
      Path otherSocket = Path.of(other.helloFrom(0, 2, 1).getUnixBulkPath());
      Peer peer = new Peer(1, b.controlAddress(), b.bulkAddress(), otherSocket);
      try (java.nio.channels.SocketChannel ch = Handshake.openBulk(peer, 0, 2, 1)) {
        assertFalse(UnixBulk.isUnix(ch), "refused at " + otherSocket + ": over TCP to b");
      }
      joining.get(30, TimeUnit.SECONDS);
    }
  }

  /** A killed process leaves its socket file; the next server on the host removes it. */
  @Test
  void socketFilesOfProcessesThatAreGoneAreRemoved(@TempDir Path dir) throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    Path stale = Files.createFile(dir.resolve("olmo4j-" + gone.pid() + "-20001-3fa2.sock"));
    Path live = Files.createFile(dir.resolve("olmo4j-" + ProcessHandle.current().pid()
        + "-20003-b7c1.sock"));
    Path other = Files.createFile(dir.resolve("olmo4j-raw-12.sock"));
    UnixBulk.removeStale(dir);
    assertFalse(Files.exists(stale), "the file of a process that is gone");
    assertTrue(Files.exists(live), "a running process's file stays");
    assertTrue(Files.exists(other), "a file not named PID-PORT stays");
  }

  @Test
  void fixedPortsServeAWorldAndAreBoundAgainRightAfterAClose() throws Exception {
    int control = freePort();
    int bulk = freePort();
    ExchangeServer.Endpoints fixed = new ExchangeServer.Endpoints(
        new InetSocketAddress("127.0.0.1", control), new InetSocketAddress("127.0.0.1", bulk),
        null, null, true);
    for (int generation = 1; generation <= 2; generation++) { // the second: a restarted node
      try (ExchangeServer a = ExchangeServer.start(fixed);
          ExchangeServer b = ExchangeServer.start(new InetSocketAddress("127.0.0.1", 0))) {
        assertEquals(new InetSocketAddress("127.0.0.1", control), a.controlAddress());
        assertEquals("127.0.0.1:" + bulk, a.helloFrom(0, 2, generation).getBulkEndpoint());
        List<TensorExchange> w = NetworkExchangeTest.join(List.of(a, b), generation,
            TensorExchangeContractTest.OPTIONS);
        NetworkExchangeTest.assertComputesAndClose(w);
      }
    }
  }

  /**
   * A closed listening socket stays bound while a thread is still in accept() on it; close
   * returns once the accept loops have left, so the ports can be bound again at once.
   */
  @Test
  void aClosedServerHasFreedItsFixedPorts() throws Exception {
    ExchangeServer.Endpoints fixed = new ExchangeServer.Endpoints(
        new InetSocketAddress("127.0.0.1", freePort()),
        new InetSocketAddress("127.0.0.1", freePort()), null, null, true);
    for (int restart = 0; restart < 100; restart++) {
      try (ExchangeServer s = ExchangeServer.start(fixed)) {
        assertEquals(fixed.bulkBind(), s.bulkAddress(), "restart " + restart);
      }
    }
  }
}
