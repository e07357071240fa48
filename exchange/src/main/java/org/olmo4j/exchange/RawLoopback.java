package org.olmo4j.exchange;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Raw java.nio reference for {@link ExchangeBenchmark}: one JVM writes to another, over TCP or
 * AF_UNIX ({@link RawListener}), with the bulk connections' socket options, 8 MiB writes from and
 * reads into direct buffers.
 */
final class RawLoopback {

  static final int IO_BYTES = 8 << 20;

  private RawLoopback() {}

  /** Best seconds to write {@code bytes} from this JVM to a child JVM that reads them. */
  static double oneDirection(BulkTransport transport, long bytes, int iterations, List<String> jvm)
      throws Exception {
    try (RawListener listen = RawListener.open(transport)) {
      Process sink = LoopbackRendezvous.spawn(ExchangeBenchmark.class.getName(), jvm,
          List.of("--raw-sink", transport.label(), String.valueOf(listen.id),
              String.valueOf(bytes), String.valueOf(iterations)));
      try (SocketChannel ch = listen.accept()) {
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
  static void sink(BulkTransport transport, long id, long bytes, int iterations)
      throws IOException {
    try (SocketChannel ch = RawListener.connect(transport, id)) {
      ByteBuffer buf = ByteBuffer.allocateDirect(IO_BYTES);
      for (int it = 0; it <= iterations; it++) {
        read(ch, buf, bytes);
        ch.write(ByteBuffer.wrap(new byte[] {1}));
      }
    }
  }

  static void write(SocketChannel ch, ByteBuffer buf, long bytes) throws IOException {
    for (long left = bytes; left > 0; ) {
      buf.clear().limit((int) Math.min(buf.capacity(), left));
      left -= buf.remaining();
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
    }
  }

  static void read(SocketChannel ch, ByteBuffer buf, long bytes) throws IOException {
    for (long left = bytes; left > 0; ) {
      buf.clear().limit((int) Math.min(buf.capacity(), left));
      int got = ch.read(buf);
      if (got < 0) {
        throw new IOException("peer closed with " + left + " bytes still expected");
      }
      left -= got;
    }
  }

  static void close(SocketChannel ch) {
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
