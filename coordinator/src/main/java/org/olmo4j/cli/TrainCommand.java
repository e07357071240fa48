package org.olmo4j.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.olmo4j.config.ConfigLoader;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.train.TrainData;
import org.olmo4j.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code olmo4j train CONFIG [--key.path=value …]}: trains (or resumes) a run. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = {"Train a model as the config says; resume with --try_load_latest_save=true "
        + "or --load_path=DIR.", "Example: bin/olmo4j train configs/olmo-tiny.yaml --max_duration=50"})
final class TrainCommand implements Callable<Integer> {

  @Parameters(index = "0", description = "YAML config, e.g. configs/olmo-tiny.yaml")
  Path config;

  @Parameters(index = "1..*", arity = "0..*", description = "Overrides: --key.path=value")
  List<String> overrides;

  @Override
  public Integer call() {
    TrainConfig cfg = ConfigLoader.load(config, Overrides.check(overrides));
    ConfigLoader.validateForTraining(cfg);
    try (NDManager manager = NDManager.newBaseManager();
        TrainData data = TrainData.open(cfg);
        Trainer trainer = Trainer.create(cfg, data, manager)) {
      trainer.fit();
    }
    return 0;
  }
}
