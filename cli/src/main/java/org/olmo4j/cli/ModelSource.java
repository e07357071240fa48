package org.olmo4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.olmo4j.checkpoint.CheckpointException;
import org.olmo4j.checkpoint.CheckpointStore;
import org.olmo4j.checkpoint.Manifest;
import org.olmo4j.checkpoint.ShardReader;
import org.olmo4j.config.ConfigLoader;
import org.olmo4j.config.ModelConfig;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.hf.HfConfig;
import org.olmo4j.hf.HfImport;
import org.olmo4j.model.FlatLayout;

/**
 * Model weights from a directory: a Hugging Face OLMo export ({@code config.json}), a checkpoint
 * ({@code manifest.json}) or a save folder (its {@code latest} checkpoint).
 */
record ModelSource(ModelConfig config, FlatLayout layout, float[] params, Path dir) {

  static ModelSource open(Path dir) throws IOException {
    if (Files.isRegularFile(dir.resolve(HfConfig.FILE))) {
      ModelConfig cfg = HfConfig.read(dir.resolve(HfConfig.FILE), null);
      FlatLayout layout = FlatLayout.of(cfg);
      return new ModelSource(cfg, layout, HfImport.read(dir, layout), dir);
    }
    Path ckpt = checkpointDir(dir);
    CheckpointStore.verify(ckpt);
    Manifest m = CheckpointStore.readManifest(ckpt);
    TrainConfig cfg = ConfigLoader.fromYaml(m.configYaml(), List.of());
    FlatLayout layout = FlatLayout.of(cfg.model());
    try (ShardReader r = ShardReader.open(ckpt, layout)) {
      float[] params = new float[Math.toIntExact(layout.totalElements())];
      r.readMaster(0, params, 0, params.length);
      return new ModelSource(cfg.model(), layout, params, ckpt);
    }
  }

  /** {@code dir} itself if it holds a manifest, else the checkpoint its {@code latest} names. */
  static Path checkpointDir(Path dir) throws IOException {
    if (Files.isRegularFile(dir.resolve(CheckpointStore.MANIFEST))) {
      return dir;
    }
    if (!Files.isDirectory(dir)) {
      throw new CheckpointException(dir + " does not exist");
    }
    return new CheckpointStore(dir).latest().orElseThrow(() -> new CheckpointException(dir
        + " is neither a Hugging Face model (config.json), a checkpoint (manifest.json) nor a "
        + "save folder with a committed checkpoint"));
  }
}
