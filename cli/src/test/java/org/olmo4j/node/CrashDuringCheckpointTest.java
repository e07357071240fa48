package org.olmo4j.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.checkpoint.CheckpointStore;
import org.olmo4j.checkpoint.ShardReader;

/**
 * kill -9 at random moments of a run that checkpoints every step, so kills land during shard
 * writes and commits: {@code latest} must always name a complete checkpoint that verifies and
 * loads, and the run resumes from it (or from a newer complete step whose commit was killed
 * before it updated {@code latest}).
 */
class CrashDuringCheckpointTest {

  @TempDir Path tmp;

  @Test
  void latestAlwaysNamesALoadableCheckpoint() throws Exception {
    Path data = ClusterRuns.writeTokens(tmp);
    Path save = tmp.resolve("run");
    Path cfg = tmp.resolve("crash.yaml");
    Files.writeString(cfg, ClusterRuns.yaml(data, save, 1, 1, 100_000, 1,
        "try_load_latest_save: true"));
    SplittableRandom rnd = new SplittableRandom(42);
    Path log = tmp.resolve("crash.log");
    long lastStep = 0;
    for (int kill = 1; kill <= 3; kill++) {
      Process p = ClusterRuns.startCliJvm(log, List.of("train", cfg.toString(), "--port=0",
          "--save_num_checkpoints_to_keep=3"));
      try {
        long past = lastStep + 3;
        FileEvents.await(save, Duration.ofSeconds(120), "a checkpoint after step " + past,
            () -> committedStep(save) > past, p.onExit());
        assertTrue(p.isAlive(), "run " + kill + " is still training: " + Files.readString(log));
        // Kill after a random number of further changes in the save folder (checkpoint
        // directories created and renamed, latest and metrics.jsonl written): at random points
        // of a checkpoint's commit.
        int changes = rnd.nextInt(12);
        int[] seen = {-1};
        FileEvents.await(save, Duration.ofSeconds(60), changes + " changes in " + save,
            () -> ++seen[0] >= changes, p.onExit());
      } finally {
        p.destroyForcibly().waitFor();
      }
      CheckpointStore store = new CheckpointStore(save);
      String named = Files.readString(save.resolve(CheckpointStore.LATEST)).strip();
      Optional<Path> latest = store.latest();
      assertTrue(latest.isPresent(), "a committed checkpoint after kill " + kill);
      CheckpointStore.verify(save.resolve(named)); // latest names a committed, complete step
      long namedStep = CheckpointStore.readManifest(save.resolve(named)).step();
      // ... or a kill between a commit's rename and the update of latest left a newer complete one
      assertTrue(CheckpointStore.readManifest(latest.get()).step() >= namedStep, latest.get().toString());
      CheckpointStore.verify(latest.get());
      try (ShardReader r = ShardReader.open(latest.get())) {
        float[] master = new float[(int) r.manifest().totalElements()];
        r.readMaster(0, master, 0, master.length);
      }
      long step = CheckpointStore.readManifest(latest.get()).step();
      assertTrue(step > lastStep, "kill " + kill + ": resumed and progressed past step " + lastStep);
      lastStep = step;
    }
  }

  private static long committedStep(Path save) {
    try {
      Path latest = save.resolve(CheckpointStore.LATEST);
      if (!Files.exists(latest)) {
        return 0;
      }
      return Long.parseLong(Files.readString(latest).strip().substring("step".length()));
    } catch (Exception e) {
      return 0;
    }
  }
}
