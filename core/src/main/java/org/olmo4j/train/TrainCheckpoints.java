package org.olmo4j.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.LongUnaryOperator;
import org.olmo4j.checkpoint.CheckpointException;
import org.olmo4j.checkpoint.CheckpointStore;
import org.olmo4j.checkpoint.Manifest;
import org.olmo4j.checkpoint.ShardReader;
import org.olmo4j.config.ConfigLoader;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.model.Initializer;
import org.olmo4j.optim.AdamWShard;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer's checkpoint hook: restores the run (load_path / try_load_latest_save) or
 * initialises it, and saves one shard per rank with a manifest committed last.
 */
public final class TrainCheckpoints {

  private static final Logger log = LoggerFactory.getLogger(TrainCheckpoints.class);

  private final TrainConfig cfg;
  private final FlatLayout layout;
  private final CheckpointStore store;
  private final LongUnaryOperator epochOfPosition;
  private long lastSaved = -1;
  private Path lastCommitted;

  /** @param epochOfPosition the data epoch a global position falls in (recorded in the manifest) */
  public TrainCheckpoints(TrainConfig cfg, FlatLayout layout, Path saveFolder,
      LongUnaryOperator epochOfPosition) {
    this.cfg = cfg;
    this.epochOfPosition = epochOfPosition;
    this.layout = layout;
    this.store = new CheckpointStore(saveFolder, cfg.saveNumCheckpointsToKeep());
  }

  /**
   * Fills {@code optimizer} (its shard of master weights and moments) from the checkpoint the
   * config asks for, or with the seeded initialisation; returns where training stands.
   */
  public TrainState restoreOrInit(AdamWShard optimizer) {
    try {
      Optional<Path> from = checkpointToLoad();
      if (from.isEmpty()) {
        float[] init = Initializer.initialFlat(cfg.model(), layout, cfg.seed());
        FlatLayout.Range r = optimizer.range();
        float[] master = java.util.Arrays.copyOfRange(init, (int) r.start(), (int) r.end());
        int n = master.length;
        optimizer.load(master, new float[n], new float[n]);
        return TrainState.start();
      }
      return restore(from.get(), optimizer);
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
  }

  private Optional<Path> checkpointToLoad() throws IOException {
    if (cfg.loadPath() != null) {
      Path p = Path.of(cfg.loadPath());
      if (!Files.exists(p.resolve(CheckpointStore.MANIFEST))
          && Files.exists(p.resolve(CheckpointStore.LATEST))) {
        return new CheckpointStore(p).latest(); // a save folder: its latest checkpoint
      }
      CheckpointStore.verify(p);
      return Optional.of(p);
    }
    if (!cfg.tryLoadLatestSave()) {
      return Optional.empty();
    }
    // Newest committed checkpoint that verifies; a corrupted one is skipped with a warning.
    List<Long> steps = new ArrayList<>(store.committedSteps());
    Optional<Path> latest = store.latest();
    for (int i = steps.size() - 1; i >= 0; i--) {
      Path dir = store.stepDir(steps.get(i));
      if (latest.isPresent() && steps.get(i) > stepOf(latest.get())) {
        continue; // beyond what latest names: not known to be complete
      }
      try {
        CheckpointStore.verify(dir);
        return Optional.of(dir);
      } catch (CheckpointException e) {
        log.warn("checkpoint {} is unusable ({}); falling back to the previous one", dir, e.getMessage());
      }
    }
    if (!steps.isEmpty()) {
      throw new CheckpointException("no usable checkpoint in " + store.saveFolder()
          + ": every committed step failed verification (see the warnings above)");
    }
    log.info("no checkpoint in {} yet: starting from scratch", store.saveFolder());
    return Optional.empty();
  }

  private static long stepOf(Path stepDir) {
    return Long.parseLong(stepDir.getFileName().toString().substring("step".length()));
  }

  private TrainState restore(Path dir, AdamWShard optimizer) throws IOException {
    Manifest m = CheckpointStore.readManifest(dir);
    TrainConfig saved = ConfigLoader.fromYaml(m.configYaml(), List.of());
    List<String> modelDiff = new ArrayList<>();
    for (String d : ConfigLoader.diff(saved, cfg)) {
      if (d.startsWith("model.")) {
        modelDiff.add(d);
      }
    }
    if (!modelDiff.isEmpty()) {
      throw new CheckpointException(dir + " was written by an incompatible config (saved ≠ now): "
          + String.join("; ", modelDiff));
    }
    try (ShardReader reader = ShardReader.open(dir, layout)) {
      ShardReader.ShardState s = reader.read(optimizer.range());
      if (cfg.resetTrainerState()) {
        // OLMo's reset_trainer_state: the weights only; fresh optimizer, step 0, data from the start.
        int n = s.master().length;
        optimizer.load(s.master(), new float[n], new float[n]);
        log.info("loaded weights from {} (reset_trainer_state: step 0, fresh optimizer)", dir);
        return TrainState.start();
      }
      optimizer.load(s.master(), s.expAvg(), s.expAvgSq());
    }
    Manifest.TrainState t = m.trainState();
    lastSaved = t.step();
    lastCommitted = dir;
    log.info("resumed from {}: step {}, {} tokens seen, data position {}",
        dir, t.step(), t.tokensSeen(), t.dataPosition());
    return new TrainState(t.step(), t.tokensSeen(), t.dataPosition());
  }

  /** Writes this single rank's shard and commits the checkpoint of {@code state}. */
  public void save(TrainState state, AdamWShard optimizer) {
    long t0 = System.nanoTime();
    long step = state.step();
    try {
      store.writeShard(step, 0, 1, optimizer.range(),
          optimizer.master(), optimizer.expAvg(), optimizer.expAvgSq());
      Manifest manifest = Manifest.of(step, 0, 1, trainStateOf(state), ConfigLoader.toYaml(cfg), layout);
      lastCommitted = store.commit(step, manifest);
      lastSaved = step;
    } catch (IOException e) {
      throw new UncheckedIOException("saving checkpoint of step " + step + " failed: " + e.getMessage(), e);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    log.info("saved checkpoint {} ({} s)", lastCommitted, String.format("%.2f", seconds));
  }

  private Manifest.TrainState trainStateOf(TrainState s) {
    return new Manifest.TrainState(s.step(), s.tokensSeen(), s.dataPosition(),
        (int) epochOfPosition.applyAsLong(s.dataPosition()), cfg.seed(), null);
  }

  public boolean isSaved(long step) {
    return lastSaved == step;
  }

  /** For messages: the last committed checkpoint of this run, or "none". */
  public String lastCommittedDescription() {
    return lastCommitted == null ? "none" : lastCommitted.getFileName().toString();
  }
}
