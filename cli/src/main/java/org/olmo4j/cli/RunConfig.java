package org.olmo4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.olmo4j.config.ConfigLoader;
import org.olmo4j.config.MissingEvalData;
import org.olmo4j.config.LoadedConfig;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.train.ComputeDevice;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Parameters;

/** The config arguments every run-like command takes: a YAML file and OLMo-style overrides. */
final class RunConfig {

  @Parameters(index = "0", description = "YAML config, e.g. configs/olmo-tiny.yaml")
  Path config;

  @Parameters(index = "1..*", arity = "0..*", description = "Overrides: --key.path=value")
  List<String> overrides;

  /** The config with the user's overrides and then {@code forced} ones applied. */
  TrainConfig load(String... forced) {
    return loaded(true, forced).config();
  }

  /**
   * As {@link #load}, first printing one line per OLMo key the config sets that olmo4j ignores;
   * with {@code validatePaths} false a {@code ${path.choose:…}} without an existing path is "".
   */
  TrainConfig loadListingIgnored(boolean validatePaths, String... forced) {
    LoadedConfig loaded = loaded(validatePaths, forced);
    loaded.ignored().forEach(key -> System.out.println(key.line()));
    return loaded.config();
  }

  private LoadedConfig loaded(boolean validatePaths, String... forced) {
    List<String> all = new ArrayList<>(Overrides.check(overrides));
    all.addAll(List.of(forced));
    return ConfigLoader.loadWithIgnored(config, all, validatePaths);
  }

  /** Whether the user's overrides set {@code key} ({@code --key=v} or {@code key=v}). */
  boolean overrides(String key) {
    return overrides != null && overrides.stream()
        .anyMatch(o -> o.startsWith("--" + key + "=") || o.startsWith(key + "="));
  }

  /**
   * As {@link #load}, checked for training: data paths present, and every downstream evaluator
   * has data (or is dropped with a warning under {@code eval_skip_missing}).
   */
  TrainConfig loadForTraining(String... forced) {
    return checkedForTraining(load(forced));
  }

  /** As {@link #loadListingIgnored}, checked for training (data paths present). */
  TrainConfig loadForTrainingListingIgnored(String... forced) {
    return checkedForTraining(loadListingIgnored(true, forced));
  }

  /** Data present, eval tasks present (or skipped), and the configured device there. */
  private static TrainConfig checkedForTraining(TrainConfig cfg) {
    ConfigLoader.validateForTraining(cfg);
    ComputeDevice.of(cfg.cluster().device(), 0);
    return MissingEvalData.check(cfg, LoggerFactory.getLogger("olmo4j")::warn);
  }
}
