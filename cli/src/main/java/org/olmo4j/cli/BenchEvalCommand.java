package org.olmo4j.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.olmo4j.checkpoint.DurableFiles;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.eval.EvalPlan;
import org.olmo4j.eval.EvalSources;
import org.olmo4j.model.Architecture;
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

  @Option(names = "--rounds", defaultValue = "6",
      description = "Rounds of (one training step, 1/rounds of the eval plan) (default ${DEFAULT-VALUE})")
  int rounds;

  @Override
  public Integer call() throws IOException {
    Path tmp = Files.createTempDirectory("olmo4j-bench-eval");
    try {
      TrainConfig cfg = run.loadForTraining("--save_folder=" + tmp, "--save_interval=1000000000",
          "--max_duration=" + (rounds + 1), "--try_load_latest_save=false", "--load_path=null");
      if (cfg.evaluators().isEmpty()) {
        throw new IllegalArgumentException(run.config + " configures no evaluators");
      }
      EvalPlan plan = EvalPlan.build(cfg, EvalSources.of(cfg));
      // Training steps and eval slices alternate, so both see the same machine load.
      try (NDManager manager = NDManager.newBaseManager();
          TrainData data = TrainData.open(cfg);
          Trainer trainer = Trainer.create(cfg, data, manager)) {
        long flops = Architecture.of(cfg.model()).flopsPerToken(cfg.model().maxSequenceLength());
        trainer.step(new SpeedMonitor(1, flops, 1)); // warm-up
        plan.score(trainer.model(), slice(plan, 0, Math.max(rounds, 50)));
        SpeedMonitor speed = new SpeedMonitor(Integer.MAX_VALUE, flops, 1);
        long evalTokens = 0;
        double evalSeconds = 0;
        for (int r = 0; r < rounds; r++) {
          StepMetrics m = trainer.step(speed);
          int[] part = slice(plan, r, rounds);
          long t0 = System.nanoTime();
          plan.score(trainer.model(), part);
          double s = (System.nanoTime() - t0) / 1e9;
          evalTokens += plan.inputTokens(part);
          evalSeconds += s;
          System.out.printf("round %d: train step %d %.2f s (%d tokens); eval %d requests %.2f s (%d tokens)%n",
              r + 1, m.step(), m.stepSeconds(), cfg.tokensPerStep(), part.length, s, plan.inputTokens(part));
        }
        double evalRate = evalTokens / evalSeconds;
        System.out.printf("bench eval: %s d_model %d n_layers %d seq %d, %d eval requests (%s), %d torch threads%n",
            cfg.runName(), cfg.model().dModel(), cfg.model().nLayers(), cfg.model().maxSequenceLength(),
            plan.size(), String.join(", ", plan.labels()),
            Integer.getInteger("ai.djl.pytorch.num_threads", Runtime.getRuntime().availableProcessors()));
        System.out.printf("train tokens/s            %.1f (forward + backward + AdamW, %d steps)%n",
            speed.tokensPerSecond(), rounds);
        System.out.printf("eval tokens/s             %.1f (forward only, %d tokens in %.2f s, padding not counted)%n",
            evalRate, evalTokens, evalSeconds);
        System.out.printf("eval / train              %.2f%n", evalRate / speed.tokensPerSecond());
        System.out.printf("one full eval             %.1f s = %.1f training steps%n",
            plan.inputTokens(plan.share(0, 1)) / evalRate,
            plan.inputTokens(plan.share(0, 1)) / evalRate * speed.tokensPerSecond() / cfg.tokensPerStep());
      }
    } finally {
      DurableFiles.deleteRecursively(tmp); // the run's folder
    }
    return 0;
  }

  /** Plan indices {@code [r·size/n, (r+1)·size/n)}: the r-th of n contiguous slices. */
  private static int[] slice(EvalPlan plan, int r, int n) {
    int from = (int) ((long) plan.size() * r / n);
    int to = (int) ((long) plan.size() * (r + 1) / n);
    return java.util.stream.IntStream.range(from, to).toArray();
  }
}
