package org.olmo4j.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The fault proxy forwards, holds one or both directions, delays, and heals, over real sockets. */
class FaultProxyTest {

  private ServerSocket target;
  private FaultProxy proxy;
  private int proxyPort;

  @BeforeEach
  void start() throws IOException {
    target = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
    proxyPort = FaultProxy.freePortPairs(1)[0];
    proxy = FaultProxy.start(Map.of(proxyPort, target.getLocalPort()));
  }

  @AfterEach
  void stop() throws IOException {
    proxy.close();
    target.close();
  }

  /** A client connected through the proxy and the target's end of that connection. */
  private record Link(Socket client, Socket server) implements AutoCloseable {
    @Override
    public void close() throws IOException {
      client.close();
      server.close();
    }
  }

  private Link connect() throws Exception {
    CompletableFuture<Socket> accepted = CompletableFuture.supplyAsync(() -> {
      try {
        return target.accept();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    Socket client = new Socket(InetAddress.getLoopbackAddress(), proxyPort);
    return new Link(client, accepted.get(10, TimeUnit.SECONDS));
  }

  private static byte[] read(Socket s, int n) throws IOException {
    s.setSoTimeout(10_000);
    byte[] b = new byte[n];
    new DataInputStream(s.getInputStream()).readFully(b);
    return b;
  }

  private void awaitHeld(long bytes) throws InterruptedException {
    assertTrue(proxy.await(() -> proxy.heldBytes() == bytes, Duration.ofSeconds(10)),
        "proxy holds " + proxy.heldBytes() + " bytes, not " + bytes);
  }

  @Test
  void passesBothWays() throws Exception {
    try (Link l = connect()) {
      l.client().getOutputStream().write("ping".getBytes());
      assertArrayEquals("ping".getBytes(), read(l.server(), 4));
      l.server().getOutputStream().write("pong".getBytes());
      assertArrayEquals("pong".getBytes(), read(l.client(), 4));
    }
  }

  @Test
  void aCutHoldsBothDirectionsWithoutResetAndTheHealDeliversInOrder() throws Exception {
    try (Link l = connect()) {
      proxy.cut();
      l.client().getOutputStream().write("abc".getBytes());
      l.server().getOutputStream().write("xyz".getBytes());
      awaitHeld(6);
      assertEquals(0, l.server().getInputStream().available(), "nothing crossed the cut");
      assertEquals(0, l.client().getInputStream().available(), "nothing crossed the cut");
      l.client().getOutputStream().write("def".getBytes()); // no reset: the socket still writes
      proxy.heal();
      assertArrayEquals("abcdef".getBytes(), read(l.server(), 6));
      assertArrayEquals("xyz".getBytes(), read(l.client(), 3));
    }
  }

  @Test
  void aConnectionOpenedDuringACutReachesItsTargetOnlyAfterTheHeal() throws Exception {
    proxy.cut();
    try (Socket client = new Socket(InetAddress.getLoopbackAddress(), proxyPort)) {
      client.getOutputStream().write("late".getBytes());
      assertTrue(proxy.await(() -> proxy.accepted() >= 1, Duration.ofSeconds(10)),
          "the proxy did not accept the connection");
      assertEquals(0, proxy.targetConnections(), "no SYN crosses a partition");
      target.setSoTimeout(10_000);
      proxy.heal();
      try (Socket server = target.accept()) {
        assertArrayEquals("late".getBytes(), read(server, 4));
      }
    }
  }

  @Test
  void halfOpenHoldsOnlyWhatClientsSend() throws Exception {
    try (Link l = connect()) {
      proxy.dropToTarget();
      l.client().getOutputStream().write("lost".getBytes());
      l.server().getOutputStream().write("back".getBytes());
      assertArrayEquals("back".getBytes(), read(l.client(), 4), "the target's replies pass");
      awaitHeld(4);
      assertEquals(0, l.server().getInputStream().available(), "the client's bytes are held");
      proxy.heal();
      assertArrayEquals("lost".getBytes(), read(l.server(), 4));
    }
  }

  @Test
  void latencyDelaysEveryChunkAndKeepsTheOrder() throws Exception {
    proxy.delay(Duration.ofMillis(200));
    try (Link l = connect()) {
      long start = System.nanoTime();
      for (int i = 0; i < 5; i++) {
        l.client().getOutputStream().write(i);
      }
      InputStream in = l.server().getInputStream();
      byte[] got = read(l.server(), 5);
      assertArrayEquals(new byte[] {0, 1, 2, 3, 4}, got);
      l.server().getOutputStream().write(9);
      assertEquals(9, read(l.client(), 1)[0]);
      long roundTripMs = (System.nanoTime() - start) / 1_000_000;
      assertTrue(roundTripMs >= 400, "a round trip through 200 ms each way took " + roundTripMs + " ms");
      assertEquals(0, in.available());
    }
  }
}
