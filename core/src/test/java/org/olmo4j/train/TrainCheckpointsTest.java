package org.olmo4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.checkpoint.CheckpointStore;
import org.olmo4j.config.TrainConfig;

/** Resume choices: a corrupted newest checkpoint falls back, an incompatible one is refused. */
class TrainCheckpointsTest {

  @TempDir Path tmp;
  Path data;
  Path run;

  @BeforeEach
  void twentySteps() throws Exception {
    data = TinyRun.writeTokens(tmp, 40_000, 5);
    run = tmp.resolve("run");
    try (NDManager m = NDManager.newBaseManager();
        TrainData d = TrainData.open(TinyRun.config(data, run));
        Trainer t = Trainer.create(TinyRun.config(data, run), d, m)) {
      t.fit(20);
    }
  }

  private long resumedStep(TrainConfig cfg) {
    try (NDManager m = NDManager.newBaseManager();
        TrainData d = TrainData.open(cfg);
        Trainer t = Trainer.create(cfg, d, m)) {
      return t.state().step();
    }
  }

  private void corruptStep20() throws Exception {
    Path shard = run.resolve("step20").resolve(CheckpointStore.shardFileName(0, 1));
    try (FileChannel ch = FileChannel.open(shard, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      ch.read(b, 200);
      b.put(0, (byte) (b.get(0) ^ 0x5a));
      ch.write(b.flip(), 200);
    }
  }

  @Test
  void corruptedNewestCheckpointFallsBackToThePreviousOne() throws Exception {
    corruptStep20();
    assertEquals(10, resumedStep(TinyRun.config(data, run, "--try_load_latest_save=true")));
  }

  private long continuedStep(String dir, long generation) {
    TrainCheckpoints c = new TrainCheckpoints(TinyRun.config(data, run),
        org.olmo4j.model.FlatLayout.of(TinyRun.config(data, run).model()),
        run, p -> 0, null);
    return c.continueFrom(dir, false, generation).map(r -> r.state().step()).orElse(0L);
  }

  /** The single trainer commits in generation 0; a coordinator taking over continues that world. */
  @Test
  void aCoordinatorTakingOverContinuesFromTheNewestCheckpointOfTheLastWorld() throws Exception {
    String step10 = run.resolve("step10").toString();
    assertEquals(20, continuedStep(null, 0), "committed during generation 0, the workers not told");
    assertEquals(20, continuedStep(step10, 0), "newer than the workers' restart point");
    assertEquals(10, continuedStep(step10, 5), "no checkpoint of generation 5: the workers' point");
    assertEquals(0, continuedStep(null, 5), "no checkpoint of generation 5 and none known: init");
    corruptStep20();
    assertEquals(10, continuedStep(null, 0), "a corrupted newest checkpoint is skipped");
    assertEquals(10, continuedStep(run.resolve("step20").toString(), 5), "falls back to the older one");
  }

  @Test
  void checkpointOfAnotherModelIsRefusedNamingTheKeys() {
    TrainConfig other = TinyRun.config(data, run, "--try_load_latest_save=true", "--model.n_layers=3");
    UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> resumedStep(other));
    assertTrue(e.getMessage().contains("model.n_layers"), e.getMessage());
    assertTrue(e.getMessage().contains("step20"), e.getMessage());
  }

  @Test
  void resumesFromLatestOrAnExplicitLoadPath() {
    assertEquals(20, resumedStep(TinyRun.config(data, run, "--try_load_latest_save=true")));
    assertEquals(10, resumedStep(TinyRun.config(data, tmp.resolve("other"),
        "--load_path=" + run.resolve("step10"))));
    assertEquals(0, resumedStep(TinyRun.config(data, tmp.resolve("other2"),
        "--load_path=" + run.resolve("step10"), "--reset_trainer_state=true")));
  }

  /**
   * The checkpoint's data position would index other instances: refused with one line naming
   * the file and its sizes, unless data.ignore_fingerprint_mismatch.
   */
  @Test
  void resumingOnOtherDataIsRefusedNamingWhatChanged() throws Exception {
    TinyRun.writeTokens(tmp, 30_000, 5); // the same file, shorter
    UncheckedIOException e = assertThrows(UncheckedIOException.class,
        () -> resumedStep(TinyRun.config(data, run, "--try_load_latest_save=true")));
    assertTrue(e.getMessage().contains("step20 was written for other training data (saved → now:"
        + " data.paths file 1 of 1: tokens.npy (80000 bytes) → tokens.npy (60000 bytes))"),
        e.getMessage());
    assertTrue(e.getMessage().contains("data.ignore_fingerprint_mismatch"), e.getMessage());
    assertEquals(20, resumedStep(TinyRun.config(data, run, "--try_load_latest_save=true",
        "--data.ignore_fingerprint_mismatch=true")));
    // Weights only: no data position is taken over, so nothing to check.
    assertEquals(0, resumedStep(TinyRun.config(data, tmp.resolve("weights"),
        "--load_path=" + run.resolve("step20"), "--reset_trainer_state=true")));
    // A coordinator taking the run over checks it too.
    TrainConfig cfg = TinyRun.config(data, run);
    TrainCheckpoints c;
    try (TrainData d = TrainData.open(cfg)) {
      c = new TrainCheckpoints(cfg, org.olmo4j.model.FlatLayout.of(cfg.model()), run, p -> 0,
          d.signature());
    }
    UncheckedIOException taken = assertThrows(UncheckedIOException.class,
        () -> c.continueFrom(null, false, 0));
    assertTrue(taken.getMessage().contains("other training data"), taken.getMessage());
  }

  /** The same file in another folder is the same data. */
  @Test
  void theSameDataElsewhereResumes() throws Exception {
    Path moved = java.nio.file.Files.createDirectories(tmp.resolve("moved")).resolve("tokens.npy");
    java.nio.file.Files.move(data, moved);
    assertEquals(20, resumedStep(TinyRun.config(moved, run, "--try_load_latest_save=true")));
  }

  @Test
  void resumingWithAnotherDataSeedIsRefused() {
    UncheckedIOException e = assertThrows(UncheckedIOException.class,
        () -> resumedStep(TinyRun.config(data, run, "--try_load_latest_save=true",
            "--data.seed=99")));
    assertTrue(e.getMessage().contains("(saved → now: data seed (data.seed, else seed) 1234 → 99)"),
        e.getMessage());
  }

  /** A checkpoint written before the data was recorded resumes as before. */
  @Test
  void aCheckpointWithoutItsDataResumes() throws Exception {
    Path manifest = run.resolve("step20").resolve(CheckpointStore.MANIFEST);
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    com.fasterxml.jackson.databind.node.ObjectNode m =
        (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(manifest.toFile());
    com.fasterxml.jackson.databind.node.ObjectNode state =
        (com.fasterxml.jackson.databind.node.ObjectNode) m.get("train_state");
    assertTrue(state.remove("data") != null, "the manifest records its data");
    json.writeValue(manifest.toFile(), m);
    TinyRun.writeTokens(tmp, 30_000, 5);
    assertEquals(20, resumedStep(TinyRun.config(data, run, "--try_load_latest_save=true")));
  }
}
