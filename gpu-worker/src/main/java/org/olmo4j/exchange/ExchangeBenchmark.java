package org.olmo4j.exchange;

import java.io.BufferedReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Bandwidth of the network exchange between JVMs on loopback, against raw java.nio sockets.
 * Usage: {@code ExchangeBenchmark --workers 2 --mib 256}.
 */
public final class ExchangeBenchmark {

  static final int ITERATIONS = 3;
  private static final List<String> CHILD_JVM = List.of("-Xmx1536m", "-XX:MaxDirectMemorySize=1g");

  private ExchangeBenchmark() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--child")) {
      child(Integer.parseInt(args[1]));
      return;
    }
    if (args.length > 0 && args[0].equals("--raw-sink")) {
      rawSink(Integer.parseInt(args[1]), Long.parseLong(args[2]));
      return;
    }
    int workers = 2;
    int mib = 256;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--workers" -> workers = Integer.parseInt(args[i + 1]);
        case "--mib" -> mib = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]
            + " (expected --workers N --mib M)");
      }
    }
    run(workers, mib, System.out);
  }

  /** Measures with {@code workers} JVMs (this one is rank 0) and {@code mib} MiB of fp32 per rank. */
  public static void run(int workers, int mib, PrintStream out) throws Exception {
    if (workers < 2) {
      throw new IllegalArgumentException("--workers must be >= 2 to move bytes, got " + workers);
    }
    long bytes = (long) mib << 20;
    double raw = rawLoopback(bytes);
    double[] t = exchange(workers, mib);
    double frac = (workers - 1) / (double) workers;
    out.printf("exchange benchmark: %d JVMs on 127.0.0.1, %d MiB fp32 per rank, best of %d%n",
        workers, mib, ITERATIONS);
    out.println("bus bandwidth = (N-1)/N * S / t  (S = full buffer bytes: what each rank sends and"
        + " receives per second)");
    out.printf("raw java.nio loopback (8 MiB writes, %d MiB):  %.2f GB/s%n", mib, raw / 1e9);
    String[] names = {"reduce-scatter fp32", "all-gather fp32", "all-gather bf16"};
    long[] sizes = {bytes, bytes, bytes / 2};
    for (int i = 0; i < 3; i++) {
      double bus = frac * sizes[i] / t[i];
      out.printf("%-20s S=%4d MiB  t=%7.1f ms  bus %.2f GB/s  = %.2f of raw (target >= 0.6)%n",
          names[i], sizes[i] >> 20, t[i] * 1e3, bus / 1e9, bus / raw);
    }
  }

  /** Best seconds per reduce-scatter, all-gather fp32, all-gather bf16 on rank 0. */
  private static double[] exchange(int workers, int mib) throws Exception {
    List<Process> children = new ArrayList<>();
    try (ExchangeServer server = ExchangeServer.start(new InetSocketAddress(LoopbackRendezvous.HOST, 0))) {
      List<BufferedReader> outputs = new ArrayList<>();
      for (int i = 1; i < workers; i++) {
        Process p = LoopbackRendezvous.spawn(ExchangeBenchmark.class.getName(), CHILD_JVM,
            List.of("--child", String.valueOf(mib)));
        children.add(p);
        outputs.add(LoopbackRendezvous.output(p));
      }
      List<InetSocketAddress> endpoints = LoopbackRendezvous.formWorld(server, children, outputs, 1);
      try (NetworkExchange ex = server.join(0, 1, endpoints, ExchangeOptions.DEFAULTS)) {
        return measure(ex, mib);
      }
    } finally {
      for (Process p : children) {
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      }
    }
  }

  private static void child(int mib) throws Exception {
    try (ExchangeServer server = ExchangeServer.start(new InetSocketAddress(LoopbackRendezvous.HOST, 0));
        NetworkExchange ex = LoopbackRendezvous.joinAsChild(server, ExchangeOptions.DEFAULTS)) {
      measure(ex, mib);
    }
  }

  /** Every rank runs this; all-reduces of one scalar line the ranks up before each timed call. */
  private static double[] measure(TensorExchange ex, int mib) {
    int psi = (mib << 20) / Float.BYTES;
    ShardRanges ranges = new ShardRanges(psi, ex.worldSize());
    float[] full = new float[psi];
    Arrays.fill(full, ex.rank() + 1);
    float[] shard = new float[ranges.length(ex.rank())];
    short[] shardBf16 = new short[shard.length];
    short[] fullBf16 = new short[psi];
    double[] best = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
    for (int it = 0; it <= ITERATIONS; it++) { // iteration 0 warms up
      double[] t = new double[3];
      ex.allReduceSum(0);
      long t0 = System.nanoTime();
      ex.reduceScatter(full, shard);
      t[0] = (System.nanoTime() - t0) / 1e9;
      ex.allReduceSum(0);
      t0 = System.nanoTime();
      ex.allGather(shard, full);
      t[1] = (System.nanoTime() - t0) / 1e9;
      ex.allReduceSum(0);
      t0 = System.nanoTime();
      ex.allGatherBf16(shardBf16, fullBf16);
      t[2] = (System.nanoTime() - t0) / 1e9;
      for (int i = 0; it > 0 && i < 3; i++) {
        best[i] = Math.min(best[i], t[i]);
      }
      Arrays.fill(full, ex.rank() + 1);
    }
    return best;
  }

  /** Best bytes per second writing {@code bytes} over loopback to a child JVM, 8 MiB writes. */
  private static double rawLoopback(long bytes) throws Exception {
    try (ServerSocketChannel listen = ServerSocketChannel.open()
        .bind(new InetSocketAddress(LoopbackRendezvous.HOST, 0))) {
      int port = ((InetSocketAddress) listen.getLocalAddress()).getPort();
      Process sink = LoopbackRendezvous.spawn(ExchangeBenchmark.class.getName(), CHILD_JVM,
          List.of("--raw-sink", String.valueOf(port), String.valueOf(bytes)));
      try (SocketChannel ch = listen.accept()) {
        ByteBuffer buf = ByteBuffer.allocateDirect(8 << 20);
        ByteBuffer ack = ByteBuffer.allocate(1);
        double best = 0;
        for (int it = 0; it <= ITERATIONS; it++) {
          long t0 = System.nanoTime();
          for (long left = bytes; left > 0; ) {
            buf.clear().limit((int) Math.min(buf.capacity(), left));
            left -= buf.remaining();
            while (buf.hasRemaining()) {
              ch.write(buf);
            }
          }
          ack.clear();
          ch.read(ack);
          double rate = bytes / ((System.nanoTime() - t0) / 1e9);
          best = it > 0 ? Math.max(best, rate) : best;
        }
        return best;
      } finally {
        if (!sink.waitFor(30, TimeUnit.SECONDS)) {
          sink.destroyForcibly();
        }
      }
    }
  }

  private static void rawSink(int port, long bytes) throws Exception {
    try (SocketChannel ch = SocketChannel.open(new InetSocketAddress(LoopbackRendezvous.HOST, port))) {
      ByteBuffer buf = ByteBuffer.allocateDirect(8 << 20);
      for (int it = 0; it <= ITERATIONS; it++) {
        for (long left = bytes; left > 0; ) {
          buf.clear().limit((int) Math.min(buf.capacity(), left));
          int n = ch.read(buf);
          if (n < 0) {
            return;
          }
          left -= n;
        }
        ch.write(ByteBuffer.wrap(new byte[] {1}));
      }
    }
  }
}
