package org.olmo4j.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.eval.EvalPlan;
import org.olmo4j.eval.EvalSources;
import org.olmo4j.eval.ModelEval;
import org.olmo4j.model.OlmoModel;
import org.olmo4j.train.SpeedMonitor;
import org.olmo4j.train.StepMetrics;
import org.olmo4j.train.TrainData;
import org.olmo4j.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code olmo4j bench eval CONFIG}: eval throughput (forward-only tokens/s over the configured
 * evaluators) against training throughput (tokens/s of optimizer steps), same config, same run.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = "Measure eval tokens/s of the configured evaluators against training tokens/s.")
final class BenchEvalCommand implements Callable<Integer> {

  @Mixin RunConfig run;

  @Option(names = "--steps", defaultValue = "5", description = "Measured training steps (default ${DEFAULT-VALUE})")
  int steps;

  @Override
  public Integer call() throws IOException {
    Path tmp = Files.createTempDirectory("olmo4j-bench-eval");
    TrainConfig cfg = run.loadForTraining("--save_folder=" + tmp, "--save_interval=1000000000",
        "--max_duration=" + (steps + 1), "--try_load_latest_save=false", "--load_path=null");
    if (cfg.evaluators().isEmpty()) {
      throw new IllegalArgumentException(run.config + " configures no evaluators");
    }
    EvalPlan plan = EvalPlan.build(cfg, EvalSources.atDefaultCache());
    try (NDManager manager = NDManager.newBaseManager();
        TrainData data = TrainData.open(cfg);
        Trainer trainer = Trainer.create(cfg, data, manager)) {
      long flops = OlmoModel.flopsPerToken(cfg.model(), cfg.model().maxSequenceLength());
      trainer.step(new SpeedMonitor(1, flops, 1)); // warm-up
      SpeedMonitor speed = new SpeedMonitor(Integer.MAX_VALUE, flops, 1);
      for (int i = 0; i < steps; i++) {
        StepMetrics m = trainer.step(speed);
        System.out.printf("train step %d loss %.4f %.2fs%n", m.step(), m.loss(), m.stepSeconds());
      }
      ModelEval.run(plan, trainer.model()); // warm-up of the eval shapes
      ModelEval.Result r = ModelEval.run(plan, trainer.model());
      System.out.printf("bench eval: %s d_model %d n_layers %d seq %d, %d eval requests (%s)%n",
          cfg.runName(), cfg.model().dModel(), cfg.model().nLayers(), cfg.model().maxSequenceLength(),
          plan.size(), String.join(", ", plan.labels()));
      System.out.printf("train tokens/s            %.1f (forward + backward + AdamW, %d steps)%n",
          speed.tokensPerSecond(), steps);
      System.out.printf("eval tokens/s             %.1f (forward only, %d tokens in %.2f s)%n",
          r.tokensPerSecond(), r.tokens(), r.seconds());
      System.out.printf("eval / train              %.2f%n", r.tokensPerSecond() / speed.tokensPerSecond());
    }
    return 0;
  }
}
