package org.olmo4j.exchange;

import java.io.BufferedReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Bandwidth of the network exchange between JVMs on loopback, against raw java.nio sockets moving
 * the same bytes in the same pattern. Usage: {@code ExchangeBenchmark --workers 2 --mib 256}.
 */
public final class ExchangeBenchmark {

  static final int ITERATIONS = Integer.getInteger("olmo4j.bench.iterations", 3);
  private static final List<String> CHILD_JVM = List.of("-Xmx1536m", "-XX:MaxDirectMemorySize=1g", "-Dolmo4j.bench.iterations=" + ITERATIONS);

  private ExchangeBenchmark() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--child")) {
      child(Integer.parseInt(args[1]));
      return;
    }
    if (args.length > 0 && args[0].equals("--raw-sink")) {
      RawLoopback.sink(Integer.parseInt(args[1]), Long.parseLong(args[2]), Integer.parseInt(args[3]));
      return;
    }
    if (args.length > 0 && args[0].equals("--raw-mesh")) {
      RawLoopback.meshChild(Long.parseLong(args[1]), Integer.parseInt(args[2]));
      return;
    }
    int workers = 2;
    int mib = 256;
    for (int i = 0; i < args.length; i += 2) {
      switch (args[i]) {
        case "--workers" -> workers = Integer.parseInt(value(args, i));
        case "--mib" -> mib = Integer.parseInt(value(args, i));
        default -> throw new IllegalArgumentException("unknown option " + args[i]
            + " (expected --workers N --mib M)");
      }
    }
    run(workers, mib, System.out);
  }

  private static String value(String[] args, int i) {
    if (i + 1 >= args.length) {
      throw new IllegalArgumentException(args[i] + " needs a value");
    }
    return args[i + 1];
  }

  /** Measures with {@code workers} JVMs (this one is rank 0) and {@code mib} MiB of fp32 per rank. */
  public static void run(int workers, int mib, PrintStream out) throws Exception {
    if (workers < 2) {
      throw new IllegalArgumentException("--workers must be >= 2 to move bytes, got " + workers);
    }
    if (mib < 1 || mib > 1024) {
      throw new IllegalArgumentException("--mib must be in 1..1024, got " + mib);
    }
    long bytes = (long) mib << 20;
    double oneWay = RawLoopback.oneDirection(bytes, ITERATIONS, CHILD_JVM);
    double rawFull = RawLoopback.allToAll(workers, bytes / workers, ITERATIONS, CHILD_JVM);
    double rawHalf = RawLoopback.allToAll(workers, bytes / 2 / workers, ITERATIONS, CHILD_JVM);
    double[] t = exchange(workers, mib);
    double frac = (workers - 1) / (double) workers;
    out.printf("exchange benchmark: %d JVMs on 127.0.0.1, %d MiB fp32 per rank, best of %d after 1"
        + " warm-up, %d CPUs%n", workers, mib, ITERATIONS, Runtime.getRuntime().availableProcessors());
    out.println("  S = bytes of the full vector; t = seconds of one call on rank 0");
    out.println("  bus bandwidth = (N-1)/N * S / t   (bytes each rank sends, and receives, per second)");
    out.println("  raw one-direction: one JVM writes S bytes to another, nothing comes back; S / t");
    out.println("  raw same-pattern: every JVM sends S/N bytes to each other JVM and receives S/N from"
        + " each, all at once, one connection per ordered pair; bus bandwidth as above");
    out.println("  ratio = collective bus bandwidth / raw same-pattern bus bandwidth at the same S"
        + " = t_raw / t   (target >= 0.6)");
    out.printf("%-20s S=%5d MiB  t=%7.1f ms  %.2f GB/s%n", "raw one-direction", mib,
        oneWay * 1e3, bytes / oneWay / 1e9);
    double[] raw = {rawFull, rawFull, rawHalf};
    long[] sizes = {bytes, bytes, bytes / 2};
    for (int i = 0; i < 3; i += 2) {
      out.printf("%-20s S=%5d MiB  t=%7.1f ms  bus %.2f GB/s%n", "raw same-pattern", sizes[i] >> 20,
          raw[i] * 1e3, frac * sizes[i] / raw[i] / 1e9);
    }
    String[] names = {"reduce-scatter fp32", "all-gather fp32", "all-gather bf16"};
    for (int i = 0; i < 3; i++) {
      out.printf("%-20s S=%5d MiB  t=%7.1f ms  bus %.2f GB/s  ratio %.2f%n", names[i],
          sizes[i] >> 20, t[i] * 1e3, frac * sizes[i] / t[i] / 1e9, raw[i] / t[i]);
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
}
