package org.olmo4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.olmo4j.checkpoint.CheckpointStore;
import org.olmo4j.config.ConfigLoader;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.hf.HfExport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code olmo4j export-hf CHECKPOINT_DIR OUT_DIR}: a checkpoint as Hugging Face OlmoForCausalLM. */
@Command(name = "export-hf", mixinStandardHelpOptions = true,
    description = "Write config.json (model_type olmo) and fp32 model.safetensors in OlmoForCausalLM layout.")
final class ExportHfCommand implements Callable<Integer> {

  @Parameters(index = "0", description = "Checkpoint directory (stepN) or save folder (uses latest)")
  Path checkpoint;

  @Parameters(index = "1", description = "Output directory")
  Path output;

  @Override
  public Integer call() throws IOException {
    Path dir = ModelSource.checkpointDir(checkpoint);
    CheckpointStore.verify(dir);
    TrainConfig cfg = ConfigLoader.fromYaml(CheckpointStore.readManifest(dir).configYaml(), List.of());
    HfExport.fromCheckpoint(dir, cfg.model(), output);
    System.out.println("exported " + dir + " to " + output + " (config.json, " + HfExport.WEIGHTS + ")");
    return 0;
  }
}
