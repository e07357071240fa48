package org.olmo4j.node;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * A TCP proxy on 127.0.0.1 that stands for the network in front of one node: each route forwards
 * a listen port to a target port, and the proxy can cut, half-open, slow down and heal every
 * route at once.
 *
 * <p>A cut does what a partition does to TCP: bytes stop, nothing is reset. Forwarding threads
 * hold what they read and the proxy stops reading, so senders' buffers fill as they would without
 * ACKs; a connection opened during a cut is accepted but reaches its target only after the heal.
 * On heal the held bytes are delivered in order, as TCP's retransmissions would, or the
 * connection is closed if its target is gone. Direction "to target" is what clients write: on a
 * node's proxy, everything other nodes send to it (Artery TCP and the data plane each write only
 * on connections they opened to the receiver's advertised port).
 */
public final class FaultProxy implements AutoCloseable {

  private static final int CHUNK = 64 << 10;
  private static final int QUEUE_CHUNKS = 256;

  private final Gate toTarget = new Gate();
  private final Gate fromTarget = new Gate();
  private volatile long delayNanos;
  private final AtomicLong held = new AtomicLong();
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong targetConnections = new AtomicLong();
  /** Notified when a counter changes ({@link #await}). */
  private final Object counters = new Object();
  private final List<ServerSocket> listeners = new ArrayList<>();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  private FaultProxy() {}

  /** Starts forwarding each {@code listen port → target port} of {@code routes} on 127.0.0.1. */
  public static FaultProxy start(Map<Integer, Integer> routes) throws IOException {
    FaultProxy p = new FaultProxy();
    try {
      for (Map.Entry<Integer, Integer> r : routes.entrySet()) {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), r.getKey()));
        p.listeners.add(s);
        daemon("proxy-accept-" + r.getKey(), () -> p.acceptLoop(s, r.getValue()));
      }
    } catch (IOException e) {
      p.close();
      throw e;
    }
    return p;
  }

  /** Both directions stop (a partition). */
  public void cut() {
    toTarget.close();
    fromTarget.close();
  }

  /** Only what clients send to the target stops (half-open); the target's replies still pass. */
  public void dropToTarget() {
    toTarget.close();
    fromTarget.open();
  }

  /** Every chunk in either direction is delivered {@code delay} after it was read (order kept). */
  public void delay(Duration delay) {
    delayNanos = delay.toNanos();
  }

  /** Back to plain forwarding: held bytes go on in order, no delay. */
  public void heal() {
    delayNanos = 0;
    toTarget.open();
    fromTarget.open();
  }

  /** Bytes read from one side and not yet written to the other. */
  public long heldBytes() {
    return held.get();
  }

  /**
   * Waits until {@code condition} holds, re-checked whenever the proxy's counters change (no
   * socket event marks them for a test to wait on); false after {@code timeout}.
   */
  public boolean await(BooleanSupplier condition, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (counters) {
      while (!condition.getAsBoolean()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        counters.wait(left / 1_000_000 + 1);
      }
      return true;
    }
  }

  private void counted() {
    synchronized (counters) {
      counters.notifyAll();
    }
  }

  /** Connections accepted from clients so far. */
  public long accepted() {
    return accepted.get();
  }

  /** Connections opened to targets so far (a connection accepted during a cut waits for the heal). */
  public long targetConnections() {
    return targetConnections.get();
  }

  @Override
  public void close() {
    closed = true;
    for (ServerSocket s : listeners) {
      quietly(s);
    }
    for (Socket s : sockets) {
      quietly(s);
    }
    toTarget.open(); // wake the held threads so they see the closed sockets
    fromTarget.open();
  }

  private void acceptLoop(ServerSocket server, int targetPort) {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      sockets.add(client);
      accepted.incrementAndGet();
      counted();
      daemon("proxy-connect-" + targetPort, () -> connect(client, targetPort));
    }
  }

  /** Reaches the target once the way there is open (a SYN does not cross a partition either). */
  private void connect(Socket client, int targetPort) {
    Socket target = null;
    try {
      client.setTcpNoDelay(true);
      toTarget.awaitOpen();
      target = new Socket(InetAddress.getLoopbackAddress(), targetPort);
      target.setTcpNoDelay(true);
      sockets.add(target);
      targetConnections.incrementAndGet();
      counted();
      pipe(client, target, toTarget, "to-" + targetPort);
      pipe(target, client, fromTarget, "from-" + targetPort);
    } catch (IOException | InterruptedException e) {
      quietly(client);
      quietly(target);
    }
  }

  /** A reader thread and a writer thread for one direction, a bounded queue between them. */
  private void pipe(Socket from, Socket to, Gate gate, String name) {
    BlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(QUEUE_CHUNKS);
    daemon("proxy-read-" + name, () -> {
      try (InputStream in = from.getInputStream()) {
        byte[] buf = new byte[CHUNK];
        int n;
        while ((n = in.read(buf)) > 0) {
          held.addAndGet(n);
          counted();
          queue.put(new Chunk(Arrays.copyOf(buf, n), System.nanoTime() + delayNanos));
        }
        queue.put(Chunk.END);
      } catch (IOException | InterruptedException e) {
        queue.offer(Chunk.BROKEN);
      }
    });
    daemon("proxy-write-" + name, () -> {
      try {
        OutputStream out = to.getOutputStream();
        while (true) {
          Chunk c = queue.take();
          if (c == Chunk.BROKEN) {
            break;
          }
          gate.awaitOpen();
          if (c == Chunk.END) {
            to.shutdownOutput();
            return;
          }
          long wait = c.dueNanos() - System.nanoTime();
          if (wait > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
          }
          gate.awaitOpen(); // a cut may have come while the chunk was delayed
          out.write(c.bytes());
          out.flush();
          held.addAndGet(-c.bytes().length);
          counted();
        }
      } catch (IOException | InterruptedException e) {
        // the other side is gone: close the connection both ways below
      }
      quietly(from);
      quietly(to);
    });
  }

  private record Chunk(byte[] bytes, long dueNanos) {
    static final Chunk END = new Chunk(new byte[0], 0);
    static final Chunk BROKEN = new Chunk(new byte[0], 0);
  }

  /** Open or closed; closed holds the threads that would forward through it. */
  private static final class Gate {
    private boolean open = true;

    synchronized void open() {
      open = true;
      notifyAll();
    }

    synchronized void close() {
      open = false;
    }

    synchronized void awaitOpen() throws InterruptedException {
      while (!open) {
        wait();
      }
    }
  }

  private static void daemon(String name, Runnable r) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
  }

  private static void quietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception ignored) {
      // already closed
    }
  }

  /**
   * {@code pairs} distinct pairs of free loopback ports {@code p, p+1} (a worker's data plane, or
   * any two ports), flattened.
   */
  static int[] freePortPairs(int pairs) {
    return freePortRuns(pairs, 2);
  }

  /**
   * {@code runs} distinct runs of {@code length} consecutive free loopback ports (a node's data
   * planes), flattened; all are held open until every run is found, so none repeats.
   */
  static int[] freePortRuns(int runs, int length) {
    List<ServerSocket> holding = new ArrayList<>();
    int[] out = new int[runs * length];
    try {
      int i = 0;
      while (i < out.length) {
        ServerSocket a = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        holding.add(a);
        int p = a.getLocalPort();
        if (p > 65535 - length + 1) {
          continue;
        }
        List<ServerSocket> run = new ArrayList<>();
        try {
          for (int k = 1; k < length; k++) {
            run.add(new ServerSocket(p + k, 1, InetAddress.getLoopbackAddress()));
          }
        } catch (IOException taken) {
          run.forEach(FaultProxy::quietly); // try another start
          continue;
        }
        holding.addAll(run);
        for (int k = 0; k < length; k++) {
          out[i++] = p + k;
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      holding.forEach(FaultProxy::quietly);
    }
  }
}
