package org.olmo4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.olmo4j.checkpoint.CheckpointStore;
import org.olmo4j.checkpoint.Manifest;
import org.olmo4j.config.ConfigLoader;
import org.olmo4j.config.ModelConfig;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.hf.HfConfig;
import org.olmo4j.hf.HfImport;
import org.olmo4j.model.FlatLayout;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code olmo4j import-hf HF_DIR OUT}: released OLMo weights (fp32/bf16/fp16 safetensors) as a
 * step-0 checkpoint in save folder OUT, to start or fine-tune from with {@code --load_path=OUT}.
 */
@Command(name = "import-hf", mixinStandardHelpOptions = true,
    description = {"Import Hugging Face OlmoForCausalLM weights as an olmo4j checkpoint (step 0).",
        "Then: bin/olmo4j train CONFIG --load_path=OUT --reset_trainer_state=true"})
final class ImportHfCommand implements Callable<Integer> {

  @Parameters(index = "0", description = "Hugging Face model directory (config.json + *.safetensors)")
  Path hfDir;

  @Parameters(index = "1", description = "Output save folder (step0/ and latest are written there)")
  Path output;

  @Option(names = "--config", description = "Training config for the rest of the keys "
      + "(optimizer, data, …); its model section must agree with config.json")
  Path config;

  @Override
  public Integer call() throws IOException {
    TrainConfig base = config != null ? ConfigLoader.load(config, List.of())
        : ConfigLoader.fromYaml("{}", List.of());
    ModelConfig model = HfConfig.read(hfDir.resolve(HfConfig.FILE), config != null ? base.model() : null);
    TrainConfig cfg = base.withModel(model);
    ConfigLoader.validate(cfg);
    FlatLayout layout = FlatLayout.of(model);
    float[] params = HfImport.read(hfDir, layout);
    CheckpointStore store = new CheckpointStore(output);
    int n = params.length;
    store.writeShard(0, 0, 0, 1, layout.shardRange(0, 1), params, new float[n], new float[n]);
    Manifest.TrainState state = new Manifest.TrainState(0, 0, 0, 0, cfg.seed(), null);
    Path dir = store.commit(0, Manifest.of(0, 0, 1, state, ConfigLoader.toYaml(cfg), layout));
    System.out.println("imported " + hfDir + " (" + n + " parameters) to " + dir);
    return 0;
  }
}
