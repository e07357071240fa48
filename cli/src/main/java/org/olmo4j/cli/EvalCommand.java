package org.olmo4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.olmo4j.checkpoint.CheckpointStore;
import org.olmo4j.checkpoint.Manifest;
import org.olmo4j.config.ConfigLoader;
import org.olmo4j.config.MissingEvalData;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.eval.EvalPlan;
import org.olmo4j.eval.EvalReport;
import org.olmo4j.eval.EvalSources;
import org.olmo4j.eval.ModelEval;
import org.olmo4j.hf.HfConfig;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code olmo4j eval CHECKPOINT_DIR [--config F]}: the configured evaluators on a checkpoint (or
 * save folder, or HF export), with the compute copy training used, so the numbers equal the
 * in-loop ones of that step. Prints a table, then one JSON line.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = {"Evaluate a checkpoint offline: a table, then one JSON line of OLMo-named metrics.",
        "The evaluators come from the checkpoint's config, or from --config."})
final class EvalCommand implements Callable<Integer> {

  @Parameters(index = "0", description = "Checkpoint directory, save folder (its latest) or HF export")
  Path model;

  @Option(names = "--config", description = "YAML whose evaluators (and precision) to use")
  Path config;

  @Parameters(index = "1..*", arity = "0..*", description = "Overrides: --key.path=value")
  List<String> overrides;

  @Override
  public Integer call() throws IOException {
    ModelSource src = ModelSource.open(model);
    long step = -1;
    TrainConfig cfg;
    if (config != null) {
      cfg = ConfigLoader.load(config, Overrides.check(overrides));
    } else if (Files.isRegularFile(src.dir().resolve(HfConfig.FILE))) {
      throw new IllegalArgumentException(src.dir() + " is a Hugging Face model without a run "
          + "config: pass --config FILE naming the evaluators");
    } else {
      cfg = ConfigLoader.fromYaml(CheckpointStore.readManifest(src.dir()).configYaml(),
          Overrides.check(overrides));
    }
    if (Files.isRegularFile(src.dir().resolve(CheckpointStore.MANIFEST))) {
      Manifest m = CheckpointStore.readManifest(src.dir());
      step = m.step();
    }
    cfg = MissingEvalData.check(cfg.withModel(src.config()), LoggerFactory.getLogger("olmo4j")::warn);
    if (cfg.evaluators().isEmpty()) {
      throw new IllegalArgumentException("no evaluators configured"
          + (config != null ? " in " + config : " in the checkpoint's config; pass --config FILE"));
    }
    EvalPlan plan = EvalPlan.build(cfg, EvalSources.of(cfg));
    ModelEval.Result r = ModelEval.run(cfg, plan, src.params());
    System.out.print(EvalReport.table(step, r.metrics()));
    Map<String, Number> extra = new LinkedHashMap<>();
    extra.put("eval_tokens", r.tokens());
    extra.put("eval_seconds", r.seconds());
    extra.put("eval_tokens_per_s", r.tokensPerSecond());
    System.out.println(EvalReport.jsonLine(step, r.metrics(), extra));
    return 0;
  }
}
