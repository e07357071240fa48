package org.olmo4j.exchange;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import org.olmo4j.model.FlatVector;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Bandwidth of the network exchange between JVMs of this host, against raw java.nio sockets
 * moving the same bytes in the same pattern on the same transport: AF_UNIX, as workers of one
 * host exchange by default, or TCP on loopback ({@code --transport tcp}, as {@code
 * cluster.data_plane.unix_sockets: false}). Usage: {@code ExchangeBenchmark --workers 2 --mib
 * 256 [--transport unix|tcp]}.
 */
public final class ExchangeBenchmark {

  /** Timed rounds; -Dolmo4j.bench.iterations=N for more on a noisy machine. */
  static final int ITERATIONS = Integer.getInteger("olmo4j.bench.iterations", 5);
  static final int WARMUP = 20;
  private static final List<String> CHILD_JVM = childJvm();

  /** -Dolmo4j.exchange.chunkBytes=N tries another frame size (children inherit olmo4j.* properties). */
  private static final ExchangeOptions OPTIONS = ExchangeOptions.DEFAULTS.withChunkBytes(
      Integer.getInteger("olmo4j.exchange.chunkBytes", ExchangeOptions.DEFAULTS.chunkBytes()));

  private ExchangeBenchmark() {}

  /** Child JVM options: heap for the vectors, and this JVM's olmo4j.* tuning properties. */
  private static List<String> childJvm() {
    List<String> jvm = new ArrayList<>(List.of("-Xmx1g", "-XX:MaxDirectMemorySize=2g"));
    System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("olmo4j."))
        .forEach(k -> jvm.add("-D" + k + "=" + System.getProperty(k)));
    return jvm;
  }

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--child")) {
      child(Integer.parseInt(args[1]), BulkTransport.parse(args[2]));
      return;
    }
    if (args.length > 0 && args[0].equals("--raw-sink")) {
      RawLoopback.sink(BulkTransport.parse(args[1]), Long.parseLong(args[2]), Long.parseLong(args[3]),
          Integer.parseInt(args[4]));
      return;
    }
    int workers = 2;
    int mib = 256;
    BulkTransport transport = BulkTransport.UNIX;
    for (int i = 0; i < args.length; i += 2) {
      switch (args[i]) {
        case "--workers" -> workers = Integer.parseInt(value(args, i));
        case "--mib" -> mib = Integer.parseInt(value(args, i));
        case "--transport" -> transport = BulkTransport.parse(value(args, i));
        default -> throw new IllegalArgumentException("unknown option " + args[i]
            + " (expected --workers N --mib M --transport unix|tcp)");
      }
    }
    run(workers, mib, transport, System.out);
  }

  private static String value(String[] args, int i) {
    if (i + 1 >= args.length) {
      throw new IllegalArgumentException(args[i] + " needs a value");
    }
    return args[i + 1];
  }

  /**
   * Measures with {@code workers} JVMs (this one is rank 0) and {@code mib} MiB of fp32 per rank,
   * the bulk frames and the raw references over {@code transport}.
   */
  public static void run(int workers, int mib, BulkTransport transport, PrintStream out)
      throws Exception {
    if (workers < 2) {
      throw new IllegalArgumentException("--workers must be >= 2 to move bytes, got " + workers);
    }
    if (mib < 1 || mib > 512) {
      throw new IllegalArgumentException("--mib must be in 1..512 (child JVMs hold 2.5 vectors of"
          + " that size in 2 GiB of direct memory), got " + mib);
    }
    long bytes = (long) mib << 20;
    double oneWay = RawLoopback.oneDirection(transport, bytes, ITERATIONS, CHILD_JVM);
    double[] t = world(workers, mib, transport);
    double frac = (workers - 1) / (double) workers;
    out.printf("exchange benchmark: %d JVMs on this host, bulk frames over %s, %d MiB fp32 per"
        + " rank, %d CPUs; best of %d rounds after %d warm-up rounds%n", workers,
        transport == BulkTransport.UNIX ? "AF_UNIX sockets" : "TCP on 127.0.0.1", mib,
        Runtime.getRuntime().availableProcessors(), ITERATIONS, WARMUP);
    out.println("  S = bytes of the full vector; t = seconds of one call on rank 0; cpu = CPU time"
        + " (user + system) of rank 0's JVM threads during it (each the best of the rounds)");
    out.println("  bus bandwidth = (N-1)/N * S / t   (bytes each rank sends, and receives, per second)");
    out.println("  raw one-direction: one JVM writes S bytes to another, nothing comes back; S / t");
    out.println("  raw same-pattern: in the same JVMs and rounds as the collectives, every JVM sends"
        + " S/N bytes to each other JVM and receives S/N from each, all at once, one connection per"
        + " ordered pair; bus bandwidth as above");
    out.println("  each collective is called as ZeroStep calls it: full vectors in native memory (sent"
        + " and received in place), shards in heap arrays; reduce-scatter from the gradients into"
        + " the shard array (sums: " + FoldKernel.BEST.name() + "); both all-gathers in place: the"
        + " fp32 master shard is copied into its range first (timed apart below), the bf16 cast"
        + " written there directly");
    out.println("  ratio = collective bus bandwidth / raw same-pattern bus bandwidth at the same S"
        + " = t_raw / t   (target >= 0.6)");
    out.printf("%-20s S=%5d MiB  t=%7.1f ms  %.2f GB/s%n", "raw one-direction", mib,
        oneWay * 1e3, bytes / oneWay / 1e9);
    String[] names = {"raw same-pattern", "reduce-scatter fp32", "all-gather fp32",
        "raw same-pattern", "all-gather bf16"};
    long[] sizes = {bytes, bytes, bytes, bytes / 2, bytes / 2};
    for (int i = 0; i < 5; i++) {
      double raw = t[i < 3 ? 0 : 3];
      out.printf("%-20s S=%5d MiB  t=%7.1f ms  cpu %6.1f ms  bus %.2f GB/s%s%n", names[i],
          sizes[i] >> 20, t[i] * 1e3, t[5 + i] * 1e3, frac * sizes[i] / t[i] / 1e9,
          i == 0 || i == 3 ? "" : String.format("  ratio %.2f", raw / t[i]));
    }
    out.printf("%-20s S=%5d MiB  t=%7.1f ms  (ZeroStep's copy of the fp32 shard into the full"
        + " vector before the fp32 all-gather; with it the ratio is %.2f)%n", "shard copy",
        (bytes / workers) >> 20, t[10] * 1e3, t[0] / (t[2] + t[10]));
  }

  /** Seconds of one call of each collective (best of the rounds on rank 0) at one size. */
  public record Seconds(double reduceScatter, double allGatherFp32, double allGatherBf16) {}

  /**
   * The collectives' times among {@code workers} JVMs for {@code mib} MiB of fp32 per rank, over
   * {@code transport}.
   */
  public static Seconds collectives(int workers, int mib, BulkTransport transport)
      throws Exception {
    double[] t = world(workers, mib, transport);
    return new Seconds(t[1], t[2] + t[10], t[4]);
  }

  /** Best seconds on rank 0 of each measurement of {@link #measure}, in its order. */
  private static double[] world(int workers, int mib, BulkTransport transport)
      throws Exception {
    List<Process> children = new ArrayList<>();
    try (ExchangeServer server = server(transport)) {
      List<BufferedReader> outputs = new ArrayList<>();
      for (int i = 1; i < workers; i++) {
        Process p = LoopbackRendezvous.spawn(ExchangeBenchmark.class.getName(), CHILD_JVM,
            List.of("--child", String.valueOf(mib), transport.label()));
        children.add(p);
        outputs.add(LoopbackRendezvous.output(p));
      }
      List<InetSocketAddress> endpoints = LoopbackRendezvous.formWorld(server, children, outputs, 1);
      try (NetworkExchange ex = server.join(0, 1, endpoints, OPTIONS)) {
        return measure(ex, mib, transport);
      }
    } finally {
      for (Process p : children) {
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      }
    }
  }

  private static void child(int mib, BulkTransport transport) throws Exception {
    try (ExchangeServer server = server(transport);
        NetworkExchange ex = LoopbackRendezvous.joinAsChild(server, OPTIONS)) {
      measure(ex, mib, transport);
    }
  }

  private static ExchangeServer server(BulkTransport transport) throws IOException {
    return ExchangeServer.start(ExchangeServer.Endpoints.anyPort(LoopbackRendezvous.HOST,
        transport == BulkTransport.UNIX));
  }

  /**
   * Every rank runs this: warm-up rounds on 4 MiB (so that the JIT has compiled the copy and sum
   * loops, as in training), then rounds of raw same-pattern S, reduce-scatter, all-gather fp32, raw
   * same-pattern S/2, all-gather bf16, each after an all-reduce of one scalar that lines the ranks up.
   */
  private static double[] measure(TensorExchange ex, int mib, BulkTransport transport)
      throws Exception {
    int psi = (mib << 20) / Float.BYTES;
    double[] best = new double[11];
    Arrays.fill(best, Double.MAX_VALUE);
    try (RawMesh raw = RawMesh.open(ex, transport)) {
      try (Vectors warm = new Vectors(ex, Math.min(psi, 1 << 20))) {
        for (int it = 0; it < WARMUP; it++) {
          warm.round(ex, raw);
        }
      }
      try (Vectors v = new Vectors(ex, psi)) {
        for (int it = 0; it < ITERATIONS; it++) {
          double[] t = v.round(ex, raw);
          for (int i = 0; i < t.length; i++) {
            best[i] = Math.min(best[i], t[i]);
          }
        }
      }
    }
    return best;
  }

  /**
   * The vectors of one size, as ZeroStep holds them (full gradients, compute parameters and their
   * bf16 cast in native memory, the shard on the heap), and one round of measurements on them.
   */
  private static final class Vectors implements AutoCloseable {
    static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    final long bytes;
    final FlatVector grads;
    final FlatVector params;
    final float[] shard;
    final FlatVector paramsBf16;

    Vectors(TensorExchange ex, int psi) {
      ShardRanges ranges = new ShardRanges(psi, ex.worldSize());
      bytes = (long) psi * Float.BYTES;
      grads = FlatVector.fp32(psi);
      float[] block = new float[1 << 16];
      Arrays.fill(block, ex.rank() + 1);
      for (int b = 0; b < psi; b += block.length) {
        grads.put(b, block, 0, Math.min(block.length, psi - b));
      }
      params = FlatVector.fp32(psi);
      shard = new float[ranges.length(ex.rank())];
      paramsBf16 = FlatVector.bf16(psi);
    }

    /** Seconds of each measurement, then CPU seconds of this process for each. */
    double[] round(TensorExchange ex, RawMesh raw) throws Exception {
      int n = ex.worldSize();
      double[] t = new double[11];
      for (int i = 0; i < 5; i++) {
        ex.allReduceSum(0);
        if (i == 2) { // ZeroStep puts the master shard into its range, then gathers in place
          long p0 = System.nanoTime();
          params.put(new ShardRanges(params.length(), n).start(ex.rank()), shard, 0, shard.length);
          t[10] = (System.nanoTime() - p0) / 1e9;
        }
        long c0 = cpuNanos();
        long t0 = System.nanoTime();
        switch (i) {
          case 0 -> raw.allToAll(bytes / n);
          case 1 -> ex.reduceScatter(grads, shard);
          case 2 -> ex.allGatherInPlace(params);
          case 3 -> raw.allToAll(bytes / 2 / n);
          default -> ex.allGatherInPlace(paramsBf16);
        }
        t[i] = (System.nanoTime() - t0) / 1e9;
        t[5 + i] = (cpuNanos() - c0) / 1e9;
      }
      return t;
    }

    @Override
    public void close() {
      grads.close();
      params.close();
      paramsBf16.close();
    }

    /** CPU time of every live thread of this JVM (user and system), in nanoseconds. */
    static long cpuNanos() {
      long sum = 0;
      for (long id : THREADS.getAllThreadIds()) {
        sum += Math.max(0, THREADS.getThreadCpuTime(id));
      }
      return sum;
    }
  }
}
