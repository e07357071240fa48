package org.olmo4j.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.LongUnaryOperator;
import org.olmo4j.checkpoint.CheckpointException;
import org.olmo4j.checkpoint.CheckpointStore;
import org.olmo4j.checkpoint.Manifest;
import org.olmo4j.checkpoint.ShardReader;
import org.olmo4j.config.ConfigLoader;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.data.DataSignature;
import org.olmo4j.model.Architecture;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.model.Initializer;
import org.olmo4j.model.ShardPlan;
import org.olmo4j.optim.AdamWShard;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The run's checkpoint hook: finds the checkpoint to resume from (load_path /
 * try_load_latest_save), loads or initialises a rank's shard, writes shards and commits them
 * with the manifest last. One rank uses all of it; in a cluster the coordinator resolves and
 * commits while each worker loads and writes its own shard.
 */
public final class TrainCheckpoints {

  private static final Logger log = LoggerFactory.getLogger(TrainCheckpoints.class);

  /** Where to resume: a committed checkpoint and the train state to continue from. */
  public record ResumePoint(Path dir, TrainState state, boolean weightsOnly) {}

  private final TrainConfig cfg;
  private final FlatLayout layout;
  private final CheckpointStore store;
  private final LongUnaryOperator epochOfPosition;
  /** What this run's data positions mean; null where no data is read (checks skipped). */
  private final DataSignature data;
  private long lastSaved = -1;
  private Path lastCommitted;

  /**
   * @param epochOfPosition the data epoch a global position falls in (recorded in the manifest)
   * @param data the run's data ({@link TrainData#signature}), recorded in each checkpoint and
   *     checked when one is resumed; null when this process reads no data
   */
  public TrainCheckpoints(TrainConfig cfg, FlatLayout layout, Path saveFolder,
      LongUnaryOperator epochOfPosition, DataSignature data) {
    this.cfg = cfg;
    this.layout = layout;
    this.epochOfPosition = epochOfPosition;
    this.data = data;
    this.store = new CheckpointStore(saveFolder, cfg.saveNumCheckpointsToKeep());
  }

  /** Restores the single rank's shard (or initialises it) and returns where training stands. */
  public TrainState restoreOrInit(AdamWShard optimizer) {
    Optional<ResumePoint> from = resumePoint();
    if (from.isEmpty()) {
      initShard(cfg, layout, optimizer);
      return TrainState.start();
    }
    loadShard(from.get(), layout, optimizer);
    return from.get().state();
  }

  /** The checkpoint the config asks to resume from, checked against this config; empty: start fresh. */
  public Optional<ResumePoint> resumePoint() {
    try {
      Optional<Path> dir = checkpointToLoad();
      if (dir.isEmpty()) {
        return Optional.empty();
      }
      if (cfg.resetTrainerState()) {
        refuseIncompatible(dir.get(), CheckpointStore.readManifest(dir.get()));
        log.info("loading weights from {} (reset_trainer_state: step 0, fresh optimizer)", dir.get());
        return Optional.of(new ResumePoint(dir.get(), TrainState.start(), true));
      }
      return Optional.of(resumeAt(dir.get()));
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
  }

  /**
   * Where a run goes on when its coordinator moved to another node: the newest checkpoint that
   * its last world (of {@code generation}) committed, or else {@code dir}, the checkpoint that
   * world could restart from as its workers know it (null: the initialisation). The old
   * coordinator may have committed a checkpoint and died before telling the workers, hence the
   * look at the save folder. A committed checkpoint that no longer verifies is skipped for the
   * newest older one that does, with a warning.
   */
  public Optional<ResumePoint> continueFrom(String dir, boolean weightsOnly, long generation) {
    try {
      Optional<Path> newer = committedDuring(generation, dir == null ? -1 : stepOrMinusOne(Path.of(dir)));
      if (newer.isPresent()) {
        return Optional.of(resumeAt(newer.get()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
    if (dir == null) {
      return Optional.empty();
    }
    Path p = Path.of(dir);
    if (weightsOnly) {
      return Optional.of(new ResumePoint(p, TrainState.start(), true));
    }
    try {
      try {
        CheckpointStore.verify(p);
        return Optional.of(resumeAt(p));
      } catch (CheckpointException e) {
        if (stepOrMinusOne(p) < 0) {
          throw e; // not one of this run's checkpoints: nothing older to fall back to
        }
        log.warn("checkpoint {} is unusable ({}); falling back to the previous one", p, e.getMessage());
      }
      Optional<Path> older = newestUsable(stepOf(p) - 1);
      if (older.isEmpty()) {
        throw new CheckpointException("no usable checkpoint at or before " + p + " in "
            + store.saveFolder() + " to continue the run from");
      }
      return Optional.of(resumeAt(older.get()));
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
  }

  /** The newest verified checkpoint after {@code afterStep} whose manifest names {@code generation}. */
  private Optional<Path> committedDuring(long generation, long afterStep) throws IOException {
    List<Long> steps = store.committedSteps();
    for (int i = steps.size() - 1; i >= 0 && steps.get(i) > afterStep; i--) {
      Path dir = store.stepDir(steps.get(i));
      try {
        if (CheckpointStore.readManifest(dir).generation() == generation) {
          CheckpointStore.verify(dir);
          return Optional.of(dir);
        }
      } catch (IOException e) {
        log.warn("checkpoint {} is unusable ({}); falling back to the previous one", dir, e.getMessage());
      }
    }
    return Optional.empty();
  }

  private static long stepOrMinusOne(Path dir) {
    String name = dir.getFileName().toString();
    return name.matches("step\\d+") ? stepOf(dir) : -1;
  }

  private ResumePoint resumeAt(Path dir) throws IOException {
    Manifest m = CheckpointStore.readManifest(dir);
    refuseIncompatible(dir, m);
    Manifest.TrainState t = m.trainState();
    refuseOtherData(dir, t);
    lastSaved = t.step();
    lastCommitted = dir;
    log.info("resuming from {}: step {}, {} tokens seen, data position {}",
        dir, t.step(), t.tokensSeen(), t.dataPosition());
    return new ResumePoint(dir, new TrainState(t.step(), t.tokensSeen(), t.dataPosition()), false);
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
    Optional<Path> latest = store.latest();
    Optional<Path> dir = newestUsable(latest.map(TrainCheckpoints::stepOf).orElse(Long.MAX_VALUE));
    if (dir.isEmpty()) {
      log.info("no checkpoint in {} yet: starting from scratch", store.saveFolder());
    }
    return dir;
  }

  /**
   * The newest committed checkpoint of at most {@code maxStep} steps that verifies; a corrupted
   * one is skipped with a warning. Fails if there are checkpoints but none verifies.
   */
  private Optional<Path> newestUsable(long maxStep) throws IOException {
    List<Long> steps = store.committedSteps();
    boolean any = false;
    for (int i = steps.size() - 1; i >= 0; i--) {
      if (steps.get(i) > maxStep) {
        continue; // beyond what latest names: not known to be complete
      }
      any = true;
      Path dir = store.stepDir(steps.get(i));
      try {
        CheckpointStore.verify(dir);
        return Optional.of(dir);
      } catch (CheckpointException e) {
        log.warn("checkpoint {} is unusable ({}); falling back to the previous one", dir, e.getMessage());
      }
    }
    if (any) {
      throw new CheckpointException("no usable checkpoint in " + store.saveFolder()
          + ": every committed step failed verification (see the warnings above)");
    }
    return Optional.empty();
  }

  private static long stepOf(Path stepDir) {
    return Long.parseLong(stepDir.getFileName().toString().substring("step".length()));
  }

  private void refuseIncompatible(Path dir, Manifest m) throws CheckpointException {
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
  }

  /**
   * A checkpoint's data position read on other data would silently train on other instances:
   * refused with the first difference, unless {@code data.ignore_fingerprint_mismatch}.
   */
  private void refuseOtherData(Path dir, Manifest.TrainState t) throws CheckpointException {
    if (data == null || t.data() == null) {
      return; // no data read here, or a checkpoint from before data was recorded
    }
    String difference = t.data().differenceTo(data);
    if (difference == null) {
      return;
    }
    String what = dir + " was written for other training data (saved → now: " + difference + ")";
    if (!cfg.data().ignoreFingerprintMismatch()) {
      throw new CheckpointException(what + "; its data position " + t.dataPosition()
          + " would read other instances. Resume with the saved value, or set"
          + " data.ignore_fingerprint_mismatch: true to go on from that position anyway");
    }
    log.warn("{}; data.ignore_fingerprint_mismatch: going on from data position {}", what,
        t.dataPosition());
  }

  /** The seeded initialisation of {@code optimizer}'s pieces, zero moments. */
  public static void initShard(TrainConfig cfg, FlatLayout layout, AdamWShard optimizer) {
    float[] init = Initializer.initialFlat(cfg.model(), layout, cfg.seed());
    float[] master = new float[Math.toIntExact(optimizer.plan().length())];
    int at = 0;
    for (FlatLayout.Range r : optimizer.plan().pieces()) {
      System.arraycopy(init, Math.toIntExact(r.start()), master, at, (int) r.length());
      at += (int) r.length();
    }
    optimizer.load(master, new float[master.length], new float[master.length]);
  }

  /** Reads {@code optimizer}'s range from the checkpoint, whatever world size wrote it. */
  public static void loadShard(ResumePoint from, FlatLayout layout, AdamWShard optimizer) {
    try (ShardReader reader = ShardReader.open(from.dir(), layout)) {
      ShardReader.ShardState s = reader.read(optimizer.plan());
      int n = s.master().length;
      if (from.weightsOnly()) {
        optimizer.load(s.master(), new float[n], new float[n]);
      } else {
        optimizer.load(s.master(), s.expAvg(), s.expAvgSq());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
  }

  /** The generation a single process's checkpoints name (a cluster's worlds count from 1). */
  static final long SINGLE_GENERATION = 0;

  /** Writes and commits the checkpoint of {@code state} for a single rank. */
  public void save(TrainState state, AdamWShard optimizer) {
    long t0 = System.nanoTime();
    try {
      store.writeShard(state.step(), SINGLE_GENERATION, 0, 1, optimizer.plan(), optimizer.master(),
          optimizer.expAvg(), optimizer.expAvgSq());
    } catch (IOException e) {
      throw new UncheckedIOException("writing the shard of step " + state.step() + " failed: "
          + e.getMessage(), e);
    }
    commit(state, SINGLE_GENERATION, 1);
    log.info("saved checkpoint {} ({} s)", lastCommitted,
        String.format("%.2f", (System.nanoTime() - t0) / 1e9));
  }

  /** Commits the checkpoint of {@code state} once every rank's shard is written. */
  public Path commit(TrainState state, long generation, int worldSize) {
    long step = state.step();
    Manifest.TrainState t = new Manifest.TrainState(step, state.tokensSeen(), state.dataPosition(),
        (int) epochOfPosition.applyAsLong(state.dataPosition()), cfg.seed(), null, data);
    try {
      lastCommitted = store.commit(step, Manifest.of(step, generation, plans(cfg, worldSize), t,
          ConfigLoader.toYaml(cfg), layout));
      lastSaved = step;
      return lastCommitted;
    } catch (IOException e) {
      // The cause alone may not name a path (a full disk: "No space left on device").
      throw new UncheckedIOException("committing " + store.tmpDir(step, generation) + " failed: "
          + e.getClass().getSimpleName() + ": " + e.getMessage(), e);
    }
  }

  /** Every rank's shard of a world of {@code worldSize} under {@code cfg}'s sharding strategy. */
  public static List<ShardPlan> plans(TrainConfig cfg, int worldSize) {
    Architecture arch = Architecture.of(cfg.model());
    List<ShardPlan> out = new ArrayList<>();
    for (int r = 0; r < worldSize; r++) {
      out.add(ShardPlan.of(arch, cfg.fsdp().shardingStrategy(), r, worldSize));
    }
    return out;
  }

  public boolean isSaved(long step) {
    return lastSaved == step;
  }

  /** For messages: the last committed checkpoint of this run, or "none". */
  public String lastCommittedDescription() {
    return lastCommitted == null ? "none" : lastCommitted.getFileName().toString();
  }
}
