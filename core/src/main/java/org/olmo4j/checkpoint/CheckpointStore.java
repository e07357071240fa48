package org.olmo4j.checkpoint;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.olmo4j.io.Dtype;
import org.olmo4j.io.Safetensors;
import org.olmo4j.io.SafetensorsWriter;
import org.olmo4j.io.TensorInfo;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.model.ShardPlan;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checkpoints of a run under {@code save_folder}: {@code stepN/} directories written as
 * {@code stepN.gG.tmp/} (shards, {@code config.yaml}, {@code manifest.json} last, all fsynced) and
 * renamed when complete; the text file {@code latest} names the newest committed one. The staging
 * directory carries the generation (the world) that writes it: a rank of an older world that
 * wakes up (after SIGSTOP, a stuck kernel, a dead file system) and finishes writing its shard
 * writes into its own world's directory, which is never committed, never into the newer one's.
 */
public final class CheckpointStore {

  public static final String MANIFEST = "manifest.json";
  public static final String CONFIG = "config.yaml";
  public static final String LATEST = "latest";
  public static final List<String> TENSORS = List.of("master", "exp_avg", "exp_avg_sq");

  private static final Logger LOG = LoggerFactory.getLogger(CheckpointStore.class);
  private static final Pattern STEP_DIR = Pattern.compile("step(\\d+)");
  /** A staging directory; also the generation-less {@code stepN.tmp} of older versions. */
  private static final Pattern TMP_DIR = Pattern.compile("step(\\d+)(?:\\.g\\d+)?\\.tmp");

  private final Path saveFolder;
  private final int keepLast;

  /** A store that keeps every checkpoint. */
  public CheckpointStore(Path saveFolder) {
    this(saveFolder, -1);
  }

  /** A store that keeps the newest {@code keepLast} checkpoints ({@code ≤ 0}: all), as OLMo. */
  public CheckpointStore(Path saveFolder, int keepLast) {
    this.saveFolder = saveFolder;
    this.keepLast = keepLast;
  }

  public Path saveFolder() {
    return saveFolder;
  }

  public Path stepDir(long step) {
    return saveFolder.resolve("step" + step);
  }

  /** Where the world of {@code generation} stages its checkpoint of {@code step}. */
  public Path tmpDir(long step, long generation) {
    return saveFolder.resolve("step" + step + ".g" + generation + ".tmp");
  }

  /** {@code shard-RRRRR-of-NNNNN.safetensors}. */
  public static String shardFileName(int rank, int worldSize) {
    return String.format("shard-%05d-of-%05d.safetensors", rank, worldSize);
  }

  /**
   * Writes rank {@code rank}'s shard of step {@code step} into the staging directory of
   * {@code generation} and fsyncs it.
   */
  public Path writeShard(long step, long generation, int rank, int worldSize,
      FlatLayout.Range range, float[] master, float[] expAvg, float[] expAvgSq) throws IOException {
    return writeShard(step, generation, rank, worldSize, ShardPlan.ofPieces(List.of(range)), master,
        expAvg, expAvgSq);
  }

  /** As above for a shard of several pieces (FULL_SHARD), its arrays the pieces concatenated. */
  public Path writeShard(long step, long generation, int rank, int worldSize, ShardPlan plan,
      float[] master, float[] expAvg, float[] expAvgSq) throws IOException {
    float[][] arrays = {master, expAvg, expAvgSq};
    for (int i = 0; i < 3; i++) {
      if (arrays[i].length != plan.length()) {
        throw new IllegalArgumentException(TENSORS.get(i) + " has " + arrays[i].length
            + " elements, shard " + plan + " has " + plan.length());
      }
    }
    List<FlatLayout.Range> pieces = plan.pieces();
    long flatStart = pieces.isEmpty() ? 0 : pieces.get(0).start();
    long flatEnd = pieces.isEmpty() ? 0 : pieces.get(pieces.size() - 1).end();
    Path dir = tmpDir(step, generation);
    Files.createDirectories(dir);
    Path file = dir.resolve(shardFileName(rank, worldSize));
    List<TensorInfo> infos = new ArrayList<>();
    for (String t : TENSORS) {
      infos.add(new TensorInfo(t, Dtype.F32, new long[] {plan.length()}));
    }
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", "olmo4j-shard");
    meta.put("step", Long.toString(step));
    meta.put("generation", Long.toString(generation));
    meta.put("rank", Integer.toString(rank));
    meta.put("world_size", Integer.toString(worldSize));
    meta.put("flat_start", Long.toString(flatStart));
    meta.put("flat_end", Long.toString(flatEnd));
    if (pieces.size() > 1) {
      meta.put("flat_pieces", pieces.stream().map(r -> r.start() + ":" + r.end())
          .collect(java.util.stream.Collectors.joining(",")));
    }
    try (SafetensorsWriter w = Safetensors.create(file, infos, meta)) {
      for (float[] a : arrays) {
        w.write(a, 0, a.length);
      }
    }
    return file;
  }

  /**
   * Makes step {@code step} durable and visible: writes {@code config.yaml} and the manifest
   * (with sizes and CRC32C of files it does not list yet), renames the staging directory of the
   * manifest's generation to {@code stepN}, points {@code latest} at it, removes stale staging
   * directories (older steps, and this step's of other generations) and applies retention.
   */
  public Path commit(long step, Manifest manifest) throws IOException {
    if (manifest.step() != step) {
      throw new IllegalArgumentException("manifest is for step " + manifest.step() + ", committing " + step);
    }
    Path tmp = tmpDir(step, manifest.generation());
    Path dir = stepDir(step);
    if (!Files.isDirectory(tmp)) {
      throw new CheckpointException(tmp + " does not exist: no shard of step " + step + " was written");
    }
    if (Files.exists(dir)) {
      throw new CheckpointException(dir + " already exists; refusing to overwrite a committed checkpoint");
    }
    DurableFiles.write(tmp.resolve(CONFIG), manifest.configYaml().getBytes(StandardCharsets.UTF_8));
    Map<String, Manifest.FileEntry> files = new LinkedHashMap<>();
    for (Manifest.FileEntry f : manifest.files()) {
      files.put(f.name(), f);
    }
    List<String> names = new ArrayList<>();
    for (Manifest.ShardEntry s : manifest.shards()) {
      names.add(s.file());
    }
    names.add(CONFIG);
    for (String name : names) {
      Path f = tmp.resolve(name);
      if (!Files.isRegularFile(f)) {
        throw new CheckpointException(f + " is missing; cannot commit step " + step);
      }
      if (!files.containsKey(name) || name.equals(CONFIG)) {
        files.put(name, new Manifest.FileEntry(name, Files.size(f), DurableFiles.crc32c(f)));
      }
    }
    DurableFiles.write(tmp.resolve(MANIFEST), manifest.withFiles(new ArrayList<>(files.values())).toJson());
    DurableFiles.syncDirectory(tmp);
    Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    DurableFiles.syncDirectory(saveFolder);
    DurableFiles.replaceAtomically(saveFolder.resolve(LATEST),
        (dir.getFileName() + "\n").getBytes(StandardCharsets.UTF_8));
    removeStaleTmpDirs(step);
    applyRetention(step);
    return dir;
  }

  /**
   * The newest committed checkpoint: the highest {@code stepN} with a readable manifest. That is
   * the one {@code latest} names, unless a commit was interrupted between its rename and the
   * update of {@code latest} (then the newer, complete step wins) or {@code latest} is damaged.
   */
  public Optional<Path> latest() throws IOException {
    Path latestFile = saveFolder.resolve(LATEST);
    Path named = null;
    if (Files.isRegularFile(latestFile)) {
      String name = Files.readString(latestFile, StandardCharsets.UTF_8).strip();
      Path dir = saveFolder.resolve(name);
      if (STEP_DIR.matcher(name).matches() && hasValidManifest(dir)) {
        named = dir;
      } else {
        LOG.warn("{} names '{}', which is not a committed checkpoint with a readable manifest; "
            + "falling back to the newest valid stepN in {}", latestFile, name, saveFolder);
      }
    }
    List<Long> steps = committedSteps();
    for (int i = steps.size() - 1; i >= 0; i--) {
      Path dir = stepDir(steps.get(i));
      if (dir.equals(named)) {
        return Optional.of(dir);
      }
      if (hasValidManifest(dir)) {
        if (named != null) {
          LOG.warn("{} names {}, but the newer {} is complete (its commit was interrupted before "
              + "{} was updated): using {}", latestFile, named.getFileName(), dir.getFileName(),
              LATEST, dir.getFileName());
        }
        return Optional.of(dir);
      }
      LOG.warn("ignoring {}: no readable {}", dir, MANIFEST);
    }
    return Optional.ofNullable(named);
  }

  private static boolean hasValidManifest(Path dir) {
    try {
      readManifest(dir);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Steps of the committed {@code stepN} directories (with or without a valid manifest), ascending. */
  public List<Long> committedSteps() throws IOException {
    return stepsMatching(STEP_DIR);
  }

  private List<Long> stepsMatching(Pattern p) throws IOException {
    if (!Files.isDirectory(saveFolder)) {
      return List.of();
    }
    List<Long> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(saveFolder)) {
      for (Path d : s.filter(Files::isDirectory).toList()) {
        Matcher m = p.matcher(d.getFileName().toString());
        if (m.matches()) {
          out.add(Long.parseLong(m.group(1)));
        }
      }
    }
    out.sort(Comparator.naturalOrder());
    return out;
  }

  private void removeStaleTmpDirs(long committedStep) throws IOException {
    if (!Files.isDirectory(saveFolder)) {
      return;
    }
    try (Stream<Path> s = Files.list(saveFolder)) {
      for (Path d : s.filter(Files::isDirectory).toList()) {
        Matcher m = TMP_DIR.matcher(d.getFileName().toString());
        if (m.matches() && Long.parseLong(m.group(1)) <= committedStep) {
          LOG.info("removing stale incomplete checkpoint {}", d);
          DurableFiles.deleteRecursively(d);
        }
      }
    }
  }

  private void applyRetention(long justCommitted) throws IOException {
    if (keepLast <= 0) {
      return;
    }
    List<Long> steps = new ArrayList<>(committedSteps());
    steps.remove(Long.valueOf(justCommitted));
    int keepOthers = keepLast - 1;
    for (int i = 0; i < steps.size() - keepOthers; i++) {
      LOG.info("removing old checkpoint {} (keeping the last {})", stepDir(steps.get(i)), keepLast);
      DurableFiles.deleteRecursively(stepDir(steps.get(i)));
    }
  }

  /** Reads {@code dir/manifest.json}; the error names the file. */
  public static Manifest readManifest(Path dir) throws IOException {
    Path f = dir.resolve(MANIFEST);
    if (!Files.isRegularFile(f)) {
      throw new CheckpointException(f + " does not exist");
    }
    Manifest m;
    try {
      m = Manifest.JSON.readValue(f.toFile(), Manifest.class);
    } catch (IOException e) {
      throw new CheckpointException(f + " is not a valid manifest: " + e.getMessage());
    }
    if (m.formatVersion() != Manifest.FORMAT_VERSION) {
      throw new CheckpointException(f + " has format_version " + m.formatVersion()
          + "; this olmo4j reads version " + Manifest.FORMAT_VERSION);
    }
    return m;
  }

  /** Checks the size and CRC32C of every file the manifest lists; throws naming the first bad one. */
  public static void verify(Path dir) throws IOException {
    Manifest m = readManifest(dir);
    Map<String, Manifest.FileEntry> byName = new HashMap<>();
    for (Manifest.FileEntry f : m.files()) {
      byName.put(f.name(), f);
    }
    for (Manifest.ShardEntry s : m.shards()) {
      if (!byName.containsKey(s.file())) {
        throw new CheckpointException(dir.resolve(MANIFEST) + " has no checksum for shard file " + s.file());
      }
    }
    for (Manifest.FileEntry e : m.files()) {
      if (e.name().contains("/") || e.name().contains("\\") || e.name().startsWith(".")) {
        throw new CheckpointException(dir.resolve(MANIFEST) + " lists a file outside the checkpoint: " + e.name());
      }
      Path f = dir.resolve(e.name());
      if (!Files.isRegularFile(f)) {
        throw new CheckpointException(f + " is missing");
      }
      long size = Files.size(f);
      if (size != e.size()) {
        throw new CheckpointException(f + " has " + size + " bytes, the manifest says " + e.size());
      }
      long crc = DurableFiles.crc32c(f);
      if (crc != e.crc32c()) {
        throw new CheckpointException(f + " is corrupt: CRC32C " + Long.toHexString(crc)
            + ", the manifest says " + Long.toHexString(e.crc32c()));
      }
    }
  }
}
