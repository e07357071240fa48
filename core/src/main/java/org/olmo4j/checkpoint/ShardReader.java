package org.olmo4j.checkpoint;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.olmo4j.io.Safetensors;
import org.olmo4j.io.SafetensorsReader;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.model.ParamSpec;
import org.olmo4j.model.ShardPlan;

/**
 * Reads any flat range of a committed checkpoint, whatever world size wrote it: the range is
 * assembled from the byte ranges of the old shards that overlap it (re-sharding is re-slicing).
 */
public final class ShardReader implements AutoCloseable {

  /** Master weights and AdamW moments of a shard's pieces, concatenated. */
  public record ShardState(ShardPlan plan, float[] master, float[] expAvg, float[] expAvgSq) {}

  /** One flat range held by shard file {@code shard}, at element {@code at} of its tensors. */
  private record Piece(FlatLayout.Range range, int shard, long at) {}

  private final Path dir;
  private final Manifest manifest;
  private final List<Manifest.ShardEntry> shards;
  /** Every file's pieces, sorted by flat start; together they tile [0, Ψ). */
  private final List<Piece> pieces = new ArrayList<>();
  private final SafetensorsReader[] readers;

  private ShardReader(Path dir, Manifest manifest) throws CheckpointException {
    this.dir = dir;
    this.manifest = manifest;
    this.shards = List.copyOf(manifest.shards());
    for (int i = 0; i < shards.size(); i++) {
      long at = 0;
      for (FlatLayout.Range r : shards.get(i).ranges()) {
        if (r.end() < r.start()) {
          throw new CheckpointException(dir.resolve(CheckpointStore.MANIFEST) + ": shard "
              + shards.get(i).file() + " lists the range " + r + ", which ends before it starts");
        }
        if (r.length() > 0) {
          pieces.add(new Piece(r, i, at));
        }
        at += r.length();
      }
    }
    pieces.sort(Comparator.comparingLong(p -> p.range().start()));
    long expected = 0;
    for (Piece p : pieces) {
      if (p.range().start() != expected) {
        throw new CheckpointException(dir.resolve(CheckpointStore.MANIFEST) + ": shard "
            + shards.get(p.shard()).file() + " covers [" + p.range().start() + ", "
            + p.range().end() + "), expected a piece to start at " + expected);
      }
      expected = p.range().end();
    }
    if (expected != manifest.totalElements()) {
      throw new CheckpointException(dir.resolve(CheckpointStore.MANIFEST) + ": shards cover [0, " + expected
          + ") but the layout has " + manifest.totalElements() + " elements");
    }
    this.readers = new SafetensorsReader[shards.size()];
  }

  /** Opens the checkpoint in {@code dir}, whatever layout it holds. */
  public static ShardReader open(Path dir) throws IOException {
    return new ShardReader(dir, CheckpointStore.readManifest(dir));
  }

  /** Opens the checkpoint in {@code dir} and checks that it was saved with {@code expected}. */
  public static ShardReader open(Path dir, FlatLayout expected) throws IOException {
    ShardReader r = open(dir);
    r.checkLayout(expected);
    return r;
  }

  private void checkLayout(FlatLayout expected) throws CheckpointException {
    FlatLayout saved = manifest.flatLayout();
    List<ParamSpec> a = saved.params();
    List<ParamSpec> b = expected.params();
    for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
      ParamSpec s = i < a.size() ? a.get(i) : null;
      ParamSpec e = i < b.size() ? b.get(i) : null;
      if (s == null || !s.equals(e)) {
        throw new CheckpointException(dir.resolve(CheckpointStore.MANIFEST) + ": parameter #" + i + " is "
            + describe(s) + " in the checkpoint but " + describe(e) + " in the model");
      }
    }
  }

  private static String describe(ParamSpec p) {
    return p == null ? "absent" : p.name() + " " + Arrays.toString(p.shape()) + " " + p.kind();
  }

  public Manifest manifest() {
    return manifest;
  }

  /** Master weights and moments for {@code range} (fewer than 2^31 elements). */
  public ShardState read(FlatLayout.Range range) throws IOException {
    return read(ShardPlan.ofPieces(List.of(range)));
  }

  /**
   * Master weights and moments of {@code plan}'s pieces, concatenated (fewer than 2^31
   * elements), whatever world size and sharding strategy wrote the checkpoint.
   */
  public ShardState read(ShardPlan plan) throws IOException {
    if (plan.length() >= Integer.MAX_VALUE) {
      throw new IllegalArgumentException("shard " + plan + " is too large for one array");
    }
    int n = (int) plan.length();
    float[] master = new float[n];
    float[] expAvg = new float[n];
    float[] expAvgSq = new float[n];
    int at = 0;
    for (FlatLayout.Range r : plan.pieces()) {
      int len = (int) r.length();
      read("master", r.start(), master, at, len);
      read("exp_avg", r.start(), expAvg, at, len);
      read("exp_avg_sq", r.start(), expAvgSq, at, len);
      at += len;
    }
    return new ShardState(plan, master, expAvg, expAvgSq);
  }

  /** Master weights of flat elements {@code [flatStart, flatStart+len)} into {@code dst[off..]}. */
  public void readMaster(long flatStart, float[] dst, int off, int len) throws IOException {
    read("master", flatStart, dst, off, len);
  }

  /** Flat elements {@code [flatStart, flatStart+len)} of {@code tensor} (master, exp_avg, exp_avg_sq). */
  public void read(String tensor, long flatStart, float[] dst, int off, int len) throws IOException {
    long end = flatStart + len;
    if (flatStart < 0 || len < 0 || end > manifest.totalElements()) {
      throw new IllegalArgumentException("[" + flatStart + ", " + end + ") outside [0, "
          + manifest.totalElements() + ")");
    }
    for (Piece p : pieces) {
      long from = Math.max(flatStart, p.range().start());
      long to = Math.min(end, p.range().end());
      if (from < to) {
        reader(p.shard()).readFloats(tensor, p.at() + from - p.range().start(), dst,
            off + (int) (from - flatStart), (int) (to - from));
      }
    }
  }

  private synchronized SafetensorsReader reader(int i) throws IOException {
    if (readers[i] == null) {
      Manifest.ShardEntry s = shards.get(i);
      Path f = dir.resolve(s.file());
      SafetensorsReader r = Safetensors.open(f);
      for (String t : CheckpointStore.TENSORS) {
        long n = r.info(t).numel();
        if (n != s.elements()) {
          r.close();
          throw new CheckpointException(f + ": tensor '" + t + "' has " + n + " elements, the"
              + " manifest's ranges " + s.ranges() + " need " + s.elements());
        }
      }
      readers[i] = r;
    }
    return readers[i];
  }

  @Override
  public void close() throws IOException {
    for (SafetensorsReader r : readers) {
      if (r != null) {
        r.close();
      }
    }
  }
}
