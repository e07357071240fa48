package org.olmo4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.model.ParamSpec;
import org.olmo4j.model.ParamSpec.Kind;

class CheckpointStoreTest {

  /** 10 + 12 + 1 = 23 elements: awkward for every world size. */
  static final FlatLayout LAYOUT = new FlatLayout(List.of(
      new ParamSpec("model.embed_tokens.weight", new long[] {5, 2}, Kind.EMBEDDING),
      new ParamSpec("model.layers.0.mlp.up_proj.weight", new long[] {3, 4}, Kind.LINEAR),
      new ParamSpec("model.norm.weight", new long[] {1}, Kind.NORM)));

  static final String YAML = "model:\n  d_model: 2\noptimizer:\n  learning_rate: 4.0e-4\n";

  @TempDir Path folder;

  /** Value of element {@code i} of tensor {@code t} at {@code step}: all distinct. */
  static float value(int t, long i, long step) {
    return t * 1000f + i + step / 1000f;
  }

  static float[] slice(int t, FlatLayout.Range r, long step) {
    float[] a = new float[(int) r.length()];
    for (int k = 0; k < a.length; k++) {
      a[k] = value(t, r.start() + k, step);
    }
    return a;
  }

  static Path save(CheckpointStore store, long step, int worldSize) throws IOException {
    for (int r = 0; r < worldSize; r++) {
      FlatLayout.Range range = LAYOUT.shardRange(r, worldSize);
      store.writeShard(step, 3, r, worldSize, range, slice(0, range, step), slice(1, range, step), slice(2, range, step));
    }
    var ts = new Manifest.TrainState(step, step * 4096, step * 8, 0, 6198, "rng-state-" + step);
    return store.commit(step, Manifest.of(step, 3, worldSize, ts, YAML, LAYOUT));
  }

  @Test
  void saveThenLoadSameWorld() throws IOException {
    CheckpointStore store = new CheckpointStore(folder);
    Path dir = save(store, 10, 1);
    assertEquals(folder.resolve("step10"), dir);
    assertTrue(Files.isRegularFile(dir.resolve("shard-00000-of-00001.safetensors")));
    assertEquals(YAML, Files.readString(dir.resolve("config.yaml")));
    CheckpointStore.verify(dir);

    Manifest m = CheckpointStore.readManifest(dir);
    assertEquals(10, m.step());
    assertEquals(3, m.generation());
    assertEquals(new Manifest.TrainState(10, 40960, 80, 0, 6198, "rng-state-10"), m.trainState());
    assertEquals(YAML, m.configYaml());
    assertEquals(Manifest.sha256(YAML), m.configSha256());
    assertEquals(64, m.configSha256().length());
    assertEquals(23, m.totalElements());
    assertEquals(LAYOUT.params(), m.flatLayout().params());
    assertEquals(List.of(new Manifest.ShardEntry(0, "shard-00000-of-00001.safetensors", 0, 23)), m.shards());
    assertEquals(2, m.files().size());

    try (ShardReader r = ShardReader.open(dir, LAYOUT)) {
      ShardReader.ShardState s = r.read(new FlatLayout.Range(0, 23));
      assertArrayEquals(slice(0, s.plan().pieces().get(0), 10), s.master());
      assertArrayEquals(slice(1, s.plan().pieces().get(0), 10), s.expAvg());
      assertArrayEquals(slice(2, s.plan().pieces().get(0), 10), s.expAvgSq());
    }
  }

  @Test
  void manifestJsonUsesSnakeCase() throws IOException {
    String json = Files.readString(save(new CheckpointStore(folder), 1, 2).resolve("manifest.json"));
    assertTrue(json.contains("\"format_version\" : 1"), json);
    assertTrue(json.contains("\"tokens_seen\" : 4096"), json);
    assertTrue(json.contains("\"crc32c\""), json);
  }

  @Test
  void loadRefusesAnotherLayout() throws IOException {
    Path dir = save(new CheckpointStore(folder), 1, 1);
    FlatLayout other = new FlatLayout(List.of(
        new ParamSpec("model.embed_tokens.weight", new long[] {5, 2}, Kind.EMBEDDING),
        new ParamSpec("model.layers.0.mlp.up_proj.weight", new long[] {4, 3}, Kind.LINEAR),
        new ParamSpec("model.norm.weight", new long[] {1}, Kind.NORM)));
    var e = assertThrows(CheckpointException.class, () -> ShardReader.open(dir, other));
    assertTrue(e.getMessage().contains("up_proj.weight [3, 4]") && e.getMessage().contains("[4, 3]"), e.getMessage());
  }

  @Test
  void crcDetectsFlippedByteAndTruncation() throws IOException {
    CheckpointStore store = new CheckpointStore(folder);
    Path dir = save(store, 5, 2);
    Path shard = dir.resolve("shard-00001-of-00002.safetensors");
    byte[] original = Files.readAllBytes(shard);

    byte[] flipped = original.clone();
    flipped[flipped.length - 3] ^= 0x10;
    Files.write(shard, flipped);
    var e = assertThrows(CheckpointException.class, () -> CheckpointStore.verify(dir));
    assertTrue(e.getMessage().contains(shard.toString()) && e.getMessage().contains("CRC32C"), e.getMessage());

    Files.write(shard, Arrays.copyOf(original, original.length - 4));
    var e2 = assertThrows(CheckpointException.class, () -> CheckpointStore.verify(dir));
    assertTrue(e2.getMessage().contains(shard.toString()) && e2.getMessage().contains("bytes"), e2.getMessage());

    Files.write(shard, original);
    CheckpointStore.verify(dir);
    Files.writeString(dir.resolve("config.yaml"), YAML.replace("4.0e-4", "5.0e-4"));
    var e3 = assertThrows(CheckpointException.class, () -> CheckpointStore.verify(dir));
    assertTrue(e3.getMessage().contains("config.yaml"), e3.getMessage());
  }

  @Test
  void latestNeverNamesATmpDirAndSurvivesACrash() throws IOException {
    CheckpointStore store = new CheckpointStore(folder);
    assertEquals(Optional.empty(), store.latest());
    save(store, 10, 2);
    assertEquals("step10", Files.readString(folder.resolve("latest")).strip());

    // Crash while saving step 20: one shard written, no manifest, no rename.
    FlatLayout.Range r0 = LAYOUT.shardRange(0, 2);
    store.writeShard(20, 3, 0, 2, r0, slice(0, r0, 20), slice(1, r0, 20), slice(2, r0, 20));
    assertTrue(Files.isDirectory(folder.resolve("step20.g3.tmp")));
    assertEquals(Optional.of(folder.resolve("step10")), store.latest());
    assertEquals(List.of(10L), store.committedSteps());

    // Committing with a missing shard fails and changes nothing.
    var e = assertThrows(CheckpointException.class,
        () -> store.commit(20, Manifest.of(20, 3, 2, null, YAML, LAYOUT)));
    assertTrue(e.getMessage().contains("shard-00001-of-00002.safetensors"), e.getMessage());
    assertEquals(Optional.of(folder.resolve("step10")), store.latest());

    // The restarted run saves step 30; the stale step20.g3.tmp is cleaned.
    save(store, 30, 3);
    assertFalse(Files.exists(folder.resolve("step20.g3.tmp")));
    assertEquals(Optional.of(folder.resolve("step30")), store.latest());
    assertEquals("step30", Files.readString(folder.resolve("latest")).strip());
  }

  @Test
  void latestFallsBackToNewestValidCheckpoint() throws IOException {
    CheckpointStore store = new CheckpointStore(folder);
    save(store, 1, 1);
    save(store, 2, 1);
    save(store, 3, 1);
    Files.delete(folder.resolve("step3").resolve("manifest.json")); // step3 damaged after commit
    assertEquals(Optional.of(folder.resolve("step2")), store.latest());
    Files.writeString(folder.resolve("latest"), "step7.tmp\n");
    assertEquals(Optional.of(folder.resolve("step2")), store.latest());
    Files.delete(folder.resolve("latest"));
    assertEquals(Optional.of(folder.resolve("step2")), store.latest());
  }

  @Test
  void aCommitInterruptedBeforeLatestWasUpdatedIsStillTheNewest() throws IOException {
    CheckpointStore store = new CheckpointStore(folder);
    save(store, 21, 1);
    save(store, 22, 1);
    // The crash: step22 was renamed into place, but latest still names step21.
    Files.writeString(folder.resolve("latest"), "step21\n");
    assertEquals(Optional.of(folder.resolve("step22")), store.latest());
    // A newer directory without a manifest does not count.
    Files.createDirectories(folder.resolve("step23"));
    assertEquals(Optional.of(folder.resolve("step22")), store.latest());
    // The run that resumed from step22 goes on committing.
    save(store, 24, 1);
    assertEquals(Optional.of(folder.resolve("step24")), store.latest());
  }

  @Test
  void keepLastN() throws IOException {
    CheckpointStore store = new CheckpointStore(folder, 2);
    for (long s = 1; s <= 4; s++) {
      save(store, s, 2);
    }
    assertEquals(List.of(3L, 4L), store.committedSteps());

    CheckpointStore keepOne = new CheckpointStore(folder, 1);
    save(keepOne, 5, 1);
    assertEquals(List.of(5L), keepOne.committedSteps());

    CheckpointStore keepAll = new CheckpointStore(folder, -1);
    save(keepAll, 6, 1);
    save(keepAll, 7, 1);
    assertEquals(List.of(5L, 6L, 7L), keepAll.committedSteps());
  }

  @Test
  void refusesToOverwriteACommittedStep() throws IOException {
    CheckpointStore store = new CheckpointStore(folder);
    save(store, 4, 1);
    var e = assertThrows(CheckpointException.class, () -> save(store, 4, 1));
    assertTrue(e.getMessage().contains("step4"), e.getMessage());
  }

  @Test
  void writtenShardIsDurableOnDisk() throws IOException {
    CheckpointStore store = new CheckpointStore(folder);
    FlatLayout.Range r = LAYOUT.shardRange(1, 4);
    Path f = store.writeShard(8, 5, 1, 4, r, slice(0, r, 8), slice(1, r, 8), slice(2, r, 8));
    assertEquals(folder.resolve("step8.g5.tmp").resolve("shard-00001-of-00004.safetensors"), f);
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
      assertTrue(ch.size() > 3 * 4 * r.length());
    }
    assertThrows(IllegalArgumentException.class,
        () -> store.writeShard(8, 5, 0, 4, r, new float[2], new float[6], new float[6]));
  }

  /**
   * Fencing: a rank of an older world that writes its shard late (it woke up after the world was
   * re-formed without it) writes into its own world's staging directory; the newer world's commit
   * of the same step takes none of it, and removes it.
   */
  @Test
  void aShardOfAnOlderGenerationIsNeverCommittedIntoANewerOnesStep() throws IOException {
    CheckpointStore store = new CheckpointStore(folder);
    FlatLayout.Range r1 = LAYOUT.shardRange(1, 2);
    float[] junk = new float[(int) r1.length()];
    Arrays.fill(junk, -1f);
    store.writeShard(20, 2, 1, 2, r1, junk, junk, junk); // generation 2, woke up late
    Path committed = save(store, 20, 2); // generation 3's step 20
    CheckpointStore.verify(committed);
    try (ShardReader reader = ShardReader.open(committed)) {
      assertArrayEquals(slice(0, r1, 20), reader.read(r1).master(),
          "generation 3's shard, not generation 2's");
    }
    assertFalse(Files.exists(folder.resolve("step20.g2.tmp")), "the stale staging dir is removed");
    store.writeShard(20, 2, 1, 2, r1, junk, junk, junk); // and one that finishes even later
    CheckpointStore.verify(committed);
    assertEquals(Optional.of(committed), store.latest());
  }
}
