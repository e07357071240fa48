package org.olmo4j.exchange;

import java.io.BufferedReader;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Raw java.nio references for {@link ExchangeBenchmark}, with the bulk connections' socket
 * options, 8 MiB writes from and reads into direct buffers: one direction between two JVMs, and
 * the collectives' pattern, where every one of N JVMs sends {@code perPeer} bytes to each other
 * JVM over its own connection while receiving as much from each, all at once.
 */
final class RawLoopback {

  static final int IO_BYTES = 8 << 20;

  private RawLoopback() {}

  /** Best seconds to write {@code bytes} from this JVM to a child JVM that reads them. */
  static double oneDirection(long bytes, int iterations, List<String> jvm) throws Exception {
    try (ServerSocketChannel listen = ServerSocketChannel.open()
        .bind(new InetSocketAddress(LoopbackRendezvous.HOST, 0))) {
      int port = ((InetSocketAddress) listen.getLocalAddress()).getPort();
      Process sink = LoopbackRendezvous.spawn(ExchangeBenchmark.class.getName(), jvm,
          List.of("--raw-sink", String.valueOf(port), String.valueOf(bytes), String.valueOf(iterations)));
      try (SocketChannel ch = listen.accept()) {
        BulkSockets.tune(ch);
        ByteBuffer buf = ByteBuffer.allocateDirect(IO_BYTES);
        ByteBuffer ack = ByteBuffer.allocate(1);
        double best = Double.MAX_VALUE;
        for (int it = 0; it <= iterations; it++) { // iteration 0 warms up
          long t0 = System.nanoTime();
          write(ch, buf, bytes);
          ack.clear();
          ch.read(ack);
          double t = (System.nanoTime() - t0) / 1e9;
          best = it > 0 ? Math.min(best, t) : best;
        }
        return best;
      } finally {
        await(sink);
      }
    }
  }

  /** The reading end of {@link #oneDirection}, in the child JVM. */
  static void sink(int port, long bytes, int iterations) throws IOException {
    try (SocketChannel ch = SocketChannel.open(new InetSocketAddress(LoopbackRendezvous.HOST, port))) {
      BulkSockets.tune(ch);
      ByteBuffer buf = ByteBuffer.allocateDirect(IO_BYTES);
      for (int it = 0; it <= iterations; it++) {
        read(ch, buf, bytes);
        ch.write(ByteBuffer.wrap(new byte[] {1}));
      }
    }
  }

  /** Best seconds on rank 0 for the all-to-all of {@code perPeer} bytes among {@code workers} JVMs. */
  static double allToAll(int workers, long perPeer, int iterations, List<String> jvm)
      throws Exception {
    List<Process> children = new ArrayList<>();
    try (ServerSocketChannel listen = ServerSocketChannel.open()
        .bind(new InetSocketAddress(LoopbackRendezvous.HOST, 0))) {
      List<BufferedReader> outputs = new ArrayList<>();
      for (int i = 1; i < workers; i++) {
        Process p = LoopbackRendezvous.spawn(ExchangeBenchmark.class.getName(), jvm,
            List.of("--raw-mesh", String.valueOf(perPeer), String.valueOf(iterations)));
        children.add(p);
        outputs.add(LoopbackRendezvous.output(p));
      }
      InetSocketAddress own = (InetSocketAddress) listen.getLocalAddress();
      List<InetSocketAddress> endpoints = LoopbackRendezvous.formWorld(own, children, outputs, 1);
      return mesh(0, endpoints, listen, perPeer, iterations);
    } finally {
      children.forEach(RawLoopback::await);
    }
  }

  /** A child's part in {@link #allToAll}. */
  static void meshChild(long perPeer, int iterations) throws Exception {
    try (ServerSocketChannel listen = ServerSocketChannel.open()
        .bind(new InetSocketAddress(LoopbackRendezvous.HOST, 0))) {
      int port = ((InetSocketAddress) listen.getLocalAddress()).getPort();
      LoopbackRendezvous.World w = LoopbackRendezvous.announceAndReadWorld(port);
      mesh(w.rank(), w.endpoints(), listen, perPeer, iterations);
    }
  }

  /** One connection per ordered pair, a thread per connection, a one-byte barrier per iteration. */
  private static double mesh(int rank, List<InetSocketAddress> endpoints, ServerSocketChannel listen,
      long perPeer, int iterations) throws Exception {
    int n = endpoints.size();
    SocketChannel[] out = new SocketChannel[n];
    SocketChannel[] in = new SocketChannel[n];
    ExecutorService pool = Executors.newFixedThreadPool(2 * (n - 1));
    try {
      for (int j = 0; j < n; j++) {
        if (j != rank) {
          out[j] = SocketChannel.open(endpoints.get(j));
          BulkSockets.tune(out[j]);
          out[j].write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, rank));
        }
      }
      for (int k = 1; k < n; k++) {
        SocketChannel ch = listen.accept();
        BulkSockets.tune(ch);
        ByteBuffer who = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        read(ch, who, 4);
        in[who.getInt(0)] = ch;
      }
      ByteBuffer[] bufs = new ByteBuffer[2 * n];
      for (int i = 0; i < bufs.length; i++) {
        bufs[i] = ByteBuffer.allocateDirect(IO_BYTES);
      }
      double best = Double.MAX_VALUE;
      for (int it = 0; it <= iterations; it++) { // iteration 0 warms up
        for (int j = 0; j < n; j++) {
          if (j != rank) {
            write(out[j], ByteBuffer.allocate(1), 1);
          }
        }
        for (int j = 0; j < n; j++) {
          if (j != rank) {
            read(in[j], ByteBuffer.allocate(1), 1);
          }
        }
        long t0 = System.nanoTime();
        List<Future<?>> tasks = new ArrayList<>();
        for (int j = 0; j < n; j++) {
          if (j != rank) {
            SocketChannel o = out[j];
            SocketChannel i = in[j];
            ByteBuffer ob = bufs[2 * j];
            ByteBuffer ib = bufs[2 * j + 1];
            tasks.add(pool.submit(() -> {
              write(o, ob, perPeer);
              return null;
            }));
            tasks.add(pool.submit(() -> {
              read(i, ib, perPeer);
              return null;
            }));
          }
        }
        for (Future<?> f : tasks) {
          f.get();
        }
        double t = (System.nanoTime() - t0) / 1e9;
        best = it > 0 ? Math.min(best, t) : best;
      }
      return best;
    } finally {
      pool.shutdownNow();
      for (int j = 0; j < n; j++) {
        close(out[j]);
        close(in[j]);
      }
    }
  }

  private static void write(SocketChannel ch, ByteBuffer buf, long bytes) throws IOException {
    for (long left = bytes; left > 0; ) {
      buf.clear().limit((int) Math.min(buf.capacity(), left));
      left -= buf.remaining();
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
    }
  }

  private static void read(SocketChannel ch, ByteBuffer buf, long bytes) throws IOException {
    for (long left = bytes; left > 0; ) {
      buf.clear().limit((int) Math.min(buf.capacity(), left));
      int got = ch.read(buf);
      if (got < 0) {
        throw new IOException("peer closed with " + left + " bytes still expected");
      }
      left -= got;
    }
  }

  private static void close(SocketChannel ch) {
    try {
      if (ch != null) {
        ch.close();
      }
    } catch (IOException ignored) {
      // Benchmark teardown.
    }
  }

  private static void await(Process p) {
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
    }
  }
}
