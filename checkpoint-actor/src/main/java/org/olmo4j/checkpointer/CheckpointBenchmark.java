package org.olmo4j.checkpointer;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.olmo4j.checkpoint.CheckpointStore;
import org.olmo4j.checkpoint.DurableFiles;
import org.olmo4j.checkpoint.Manifest;
import org.olmo4j.config.OptimizerConfig;
import org.olmo4j.config.OptimizerName;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.model.ParamSpec;
import org.olmo4j.optim.AdamWShard;

/**
 * Checkpoint write bandwidth against a plain sequential write + fsync of the same bytes on the same
 * file system in the same run (target ≥ 0.7), and the training stall per checkpoint (the snapshot
 * copy) against the time to write it (target ≤ 0.10).
 *
 * <pre>java … org.olmo4j.checkpointer.CheckpointBenchmark [--dir DIR] [--mib 256] [--shards 2] [--repeats 5]</pre>
 */
public final class CheckpointBenchmark {

  private static final int PLAIN_BUFFER = 16 << 20;
  private static final OptimizerConfig ADAMW = new OptimizerConfig(OptimizerName.ADAMW, 4e-4, 0.1,
      List.of(0.9, 0.95), 1e-5, false, false);

  private final Path dir;
  private final int shards;
  private final FlatLayout layout;
  private final AdamWShard[] ranks;
  private final ShardSnapshot[] snapshots;
  private long bytes;
  private double commitSeconds;

  private CheckpointBenchmark(Path dir, int mib, int shards) {
    this.dir = dir;
    this.shards = shards;
    long elements = ((long) mib << 20) / (3 * Float.BYTES);
    this.layout = new FlatLayout(List.of(new ParamSpec("model.layers.0.mlp.up_proj.weight",
        new long[] {elements}, ParamSpec.Kind.LINEAR)));
    this.ranks = new AdamWShard[shards];
    this.snapshots = new ShardSnapshot[shards];
    SplittableRandom rnd = new SplittableRandom(6198);
    for (int r = 0; r < shards; r++) {
      ranks[r] = new AdamWShard(layout, layout.shardRange(r, shards), ADAMW);
      snapshots[r] = new ShardSnapshot(2);
      for (float[] a : new float[][] {ranks[r].master(), ranks[r].expAvg(), ranks[r].expAvgSq()}) {
        for (int i = 0; i < a.length; i++) {
          a[i] = (float) rnd.nextDouble(-1, 1); // incompressible, like trained weights
        }
      }
    }
  }

  /** Runs the comparison {@code 5} times in {@code dir} and prints best and median figures. */
  public static void run(Path dir, int mib, int shards, PrintStream out) throws Exception {
    run(dir, mib, shards, 5, out);
  }

  /** As {@link #run(Path, int, int, PrintStream)} with {@code repeats} interleaved rounds. */
  public static void run(Path dir, int mib, int shards, int repeats, PrintStream out) throws Exception {
    if (mib < 1 || shards < 1 || repeats < 1) {
      throw new IllegalArgumentException("--mib, --shards and --repeats must be ≥ 1, got "
          + mib + ", " + shards + ", " + repeats);
    }
    Path work = Files.createTempDirectory(Files.createDirectories(dir), "olmo4j-ckpt-bench-");
    ActorSystem<Checkpointer.Command> system = ActorSystem.create(Checkpointer.create(work.resolve("actor")),
        "olmo4j-checkpoint-benchmark");
    try {
      new CheckpointBenchmark(work, mib, shards).measure(system, repeats, out);
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      DurableFiles.deleteRecursively(work);
    }
  }

  private void measure(ActorSystem<Checkpointer.Command> system, int repeats, PrintStream out) throws Exception {
    BlockingQueue<Checkpointer.ShardWritten> replies = new LinkedBlockingQueue<>();
    ActorRef<Checkpointer.ShardWritten> replyTo = system.systemActorOf(
        Behaviors.receiveMessage(m -> {
          replies.add(m);
          return Behaviors.same();
        }), "benchmark-replies", Props.empty());
    store(0); // warm-up; also yields the exact byte count the plain write must match
    actor(system, replyTo, replies, 0); // warm-up; allocates the snapshot buffers
    double[] plain = new double[repeats];
    double[] store = new double[repeats];
    double[] commit = new double[repeats];
    double[] actor = new double[repeats];
    double[] stall = new double[repeats];
    double[] cloneStall = new double[repeats];
    for (int i = 0; i < repeats; i++) {
      plain[i] = plain(i);
      store[i] = store(i + 1);
      commit[i] = commitSeconds;
      double[] a = actor(system, replyTo, replies, i + 1);
      actor[i] = a[0];
      stall[i] = a[1];
    }
    // Apart from the timed rounds: the garbage of fresh clones would disturb them.
    for (int i = 0; i < repeats; i++) {
      for (int r = 0; r < shards; r++) {
        cloneStall[i] += ShardSnapshot.take(ranks[r], 0, 0, r, shards, replyTo).stallSeconds();
      }
    }
    double mb = bytes / 1e6;
    out.printf("checkpoint benchmark: %d shards, %.1f MB in all, %d rounds, in %s%n", shards, mb, repeats, dir);
    out.printf("  (a) plain sequential write + fsync   best %7.1f MB/s  median %7.1f MB/s%n",
        mb / min(plain), mb / median(plain));
    out.printf("  (b) CheckpointStore shards + commit  best %7.1f MB/s  median %7.1f MB/s%n",
        mb / min(store), mb / median(store));
    double[] writeOnly = new double[repeats];
    for (int i = 0; i < repeats; i++) {
      writeOnly[i] = store[i] - commit[i];
    }
    out.printf("      of which the commit (CRC32C re-read, manifest, fsyncs, renames) median %.3f s; "
        + "shards alone %.1f MB/s median, %.2f of (a)%n", median(commit), mb / median(writeOnly),
        median(plain) / median(writeOnly));
    out.printf("  (c) Checkpointer (snapshot → written) best %7.1f MB/s  median %7.1f MB/s%n",
        mb / min(actor), mb / median(actor));
    out.printf("  (b)/(a) best %.2f median %.2f; (c)/(a) best %.2f median %.2f (target ≥ 0.7)%n",
        min(plain) / min(store), median(plain) / median(store),
        min(plain) / min(actor), median(plain) / median(actor));
    double[] ratio = new double[repeats];
    for (int i = 0; i < repeats; i++) {
      ratio[i] = stall[i] / actor[i];
    }
    out.printf("  stall (snapshot copies of all ranks) best %.4f s median %.4f s; stall / write time "
        + "best %.3f median %.3f (target ≤ 0.10)%n", min(stall), median(stall), min(ratio), median(ratio));
    out.printf("  for comparison, cloning into fresh arrays (ShardSnapshot.take) stalls median %.4f s "
        + "(%.3f of the write)%n",
        median(cloneStall), median(cloneStall) / median(actor));
  }

  /** (a): one file of the same size, written sequentially from a large direct buffer, fsynced. */
  private double plain(int round) throws IOException {
    Path file = dir.resolve("plain-" + round + ".bin");
    ByteBuffer buf = ByteBuffer.allocateDirect(PLAIN_BUFFER);
    byte[] noise = new byte[PLAIN_BUFFER];
    new Random(round).nextBytes(noise);
    buf.put(noise).flip();
    long t0 = System.nanoTime();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      for (long left = bytes; left > 0; ) {
        buf.clear().limit((int) Math.min(PLAIN_BUFFER, left));
        while (buf.hasRemaining()) {
          left -= ch.write(buf);
        }
      }
      ch.force(true);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    Files.delete(file);
    return seconds;
  }

  /** (b): every rank's shard with {@link CheckpointStore#writeShard}, then the commit. */
  private double store(int round) throws IOException {
    Path folder = dir.resolve("store-" + round);
    CheckpointStore store = new CheckpointStore(folder);
    long step = 1000L * (round + 1);
    long t0 = System.nanoTime();
    long written = 0;
    for (int r = 0; r < shards; r++) {
      AdamWShard s = ranks[r];
      written += Files.size(store.writeShard(step, 1, r, shards, s.plan(), s.master(), s.expAvg(), s.expAvgSq()));
    }
    long c0 = System.nanoTime();
    store.commit(step, Manifest.of(step, 1, shards, new Manifest.TrainState(step, 0, 0, 0, 6198, null),
        "seed: 6198\n", layout));
    double seconds = (System.nanoTime() - t0) / 1e9;
    commitSeconds = (System.nanoTime() - c0) / 1e9;
    bytes = written;
    DurableFiles.deleteRecursively(folder);
    return seconds;
  }

  /** (c): pooled snapshots handed to the Checkpointer until the last ShardWritten; returns {time, stall}. */
  private double[] actor(ActorRef<Checkpointer.Command> checkpointer, ActorRef<Checkpointer.ShardWritten> replyTo,
      BlockingQueue<Checkpointer.ShardWritten> replies, int round) throws Exception {
    long step = 1000L * round;
    long t0 = System.nanoTime();
    double stall = 0;
    for (int r = 0; r < shards; r++) {
      Checkpointer.WriteShard w = snapshots[r].copy(ranks[r], 1, step, r, shards, replyTo).orElseThrow();
      stall += w.stallSeconds();
      checkpointer.tell(w);
    }
    Path tmp = null;
    for (int r = 0; r < shards; r++) {
      Checkpointer.ShardWritten done = replies.poll(10, TimeUnit.MINUTES);
      if (done == null || done.error() != null) {
        throw new IOException(done == null ? "no ShardWritten within 10 minutes" : done.error());
      }
      snapshots[done.rank()].release(done);
      tmp = Path.of(done.file()).getParent();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    DurableFiles.deleteRecursively(tmp);
    return new double[] {seconds, stall};
  }

  private static double min(double[] xs) {
    return Arrays.stream(xs).min().orElseThrow();
  }

  private static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(System.getProperty("java.io.tmpdir"));
    int mib = 256;
    int shards = 2;
    int repeats = 5;
    List<String> a = new ArrayList<>(List.of(args));
    for (int i = 0; i < a.size(); i += 2) {
      if (i + 1 >= a.size()) {
        throw new IllegalArgumentException(a.get(i) + " needs a value");
      }
      String v = a.get(i + 1);
      switch (a.get(i)) {
        case "--dir" -> dir = Path.of(v);
        case "--mib" -> mib = Integer.parseInt(v);
        case "--shards" -> shards = Integer.parseInt(v);
        case "--repeats" -> repeats = Integer.parseInt(v);
        default -> throw new IllegalArgumentException("unknown option " + a.get(i)
            + "; expected --dir, --mib, --shards or --repeats");
      }
    }
    run(dir, mib, shards, repeats, System.out);
  }
}
