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

/**
 * Reads any flat range of a committed checkpoint, whatever world size wrote it: the range is
 * assembled from the byte ranges of the old shards that overlap it (re-sharding is re-slicing).
 */
public final class ShardReader implements AutoCloseable {

  /** Master weights and AdamW moments of one flat range. */
  public record ShardState(FlatLayout.Range range, float[] master, float[] expAvg, float[] expAvgSq) {}

  private final Path dir;
  private final Manifest manifest;
  private final List<Manifest.ShardEntry> shards;
  private final SafetensorsReader[] readers;

  private ShardReader(Path dir, Manifest manifest) throws CheckpointException {
    this.dir = dir;
    this.manifest = manifest;
    this.shards = new ArrayList<>(manifest.shards());
    shards.sort(Comparator.comparingLong(Manifest.ShardEntry::start));
    long expected = 0;
    for (Manifest.ShardEntry s : shards) {
      if (s.start() != expected || s.end() < s.start()) {
        throw new CheckpointException(dir.resolve(CheckpointStore.MANIFEST) + ": shard " + s.file()
            + " covers [" + s.start() + ", " + s.end() + "), expected it to start at " + expected);
      }
      expected = s.end();
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
    if (range.length() >= Integer.MAX_VALUE) {
      throw new IllegalArgumentException("range " + range + " is too large for one array");
    }
    int n = (int) range.length();
    float[] master = new float[n];
    float[] expAvg = new float[n];
    float[] expAvgSq = new float[n];
    read("master", range.start(), master, 0, n);
    read("exp_avg", range.start(), expAvg, 0, n);
    read("exp_avg_sq", range.start(), expAvgSq, 0, n);
    return new ShardState(range, master, expAvg, expAvgSq);
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
    for (int i = 0; i < shards.size(); i++) {
      Manifest.ShardEntry s = shards.get(i);
      long from = Math.max(flatStart, s.start());
      long to = Math.min(end, s.end());
      if (from < to) {
        reader(i).readFloats(tensor, from - s.start(), dst, off + (int) (from - flatStart), (int) (to - from));
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
        if (n != s.end() - s.start()) {
          r.close();
          throw new CheckpointException(f + ": tensor '" + t + "' has " + n + " elements, the manifest's range ["
              + s.start() + ", " + s.end() + ") needs " + (s.end() - s.start()));
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
