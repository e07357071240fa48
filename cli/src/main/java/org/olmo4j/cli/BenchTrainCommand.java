package org.olmo4j.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.olmo4j.checkpoint.DurableFiles;
import org.olmo4j.config.ConfigLoader;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.model.Architecture;
import org.olmo4j.train.PeakFlops;
import org.olmo4j.train.SpeedMonitor;
import org.olmo4j.train.StepMetrics;
import org.olmo4j.train.TrainData;
import org.olmo4j.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code olmo4j bench train CONFIG}: training throughput and MFU against the peak fp32 and bf16
 * matmul FLOP/s measured on the same engine in the same run, plus RSS over the steps.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Measure tokens/s, model FLOP/s and MFU of training steps; print RSS per step.")
final class BenchTrainCommand implements Callable<Integer> {

  @Mixin RunConfig run;

  @Option(names = "--steps", defaultValue = "10", description = "Measured steps (default ${DEFAULT-VALUE})")
  int steps;

  @Option(names = "--warmup", defaultValue = "2", description = "Unmeasured first steps (default ${DEFAULT-VALUE})")
  int warmup;

  @Option(names = "--rss-every", defaultValue = "0",
      description = "Print RSS every N steps (0: at start, middle and end)")
  int rssEvery;

  @Override
  public Integer call() throws IOException {
    Path tmp = Files.createTempDirectory("olmo4j-bench");
    try {
      TrainConfig cfg = run.loadForTraining("--save_folder=" + tmp, "--save_interval=1000000000",
          "--max_duration=" + (warmup + steps), "--try_load_latest_save=false", "--load_path=null");
      try (NDManager manager = NDManager.newBaseManager();
          TrainData data = TrainData.open(cfg);
          Trainer trainer = Trainer.create(cfg, data, manager)) {
        long flopsPerToken = Architecture.of(cfg.model()).flopsPerToken(cfg.model().maxSequenceLength());
        double peak = PeakFlops.measureMatmul(manager, 2048, 3.0);
        double peakBf16 = PeakFlops.measureBf16Matmul(manager, 2048, 3.0);
        SpeedMonitor speed = new SpeedMonitor(Integer.MAX_VALUE, flopsPerToken, peak);
        SpeedMonitor ignored = new SpeedMonitor(1, flopsPerToken, peak);
        List<long[]> rss = new ArrayList<>();
        for (int i = 1; i <= warmup + steps; i++) {
          StepMetrics m = trainer.step(i <= warmup ? ignored : speed);
          if (i == 1 || i == warmup + steps || (rssEvery > 0 && i % rssEvery == 0)
              || (rssEvery == 0 && i == (warmup + steps) / 2)) {
            rss.add(new long[] {i, m.rssBytes()});
          }
          System.out.printf("step %d loss %.4f %.2fs (compute %.2fs, optimizer %.2fs)%n",
              m.step(), m.loss(), m.stepSeconds(), m.computeSeconds(), m.optimizerSeconds());
        }
        var mc = cfg.model();
        System.out.printf("bench train: %s d_model %d n_layers %d seq %d, %d tokens/step, %d parameters, "
                + "%d torch threads%n", cfg.runName(), mc.dModel(), mc.nLayers(), mc.maxSequenceLength(),
            cfg.tokensPerStep(), trainer.model().layout().totalElements(),
            Integer.getInteger("ai.djl.pytorch.num_threads", Runtime.getRuntime().availableProcessors()));
        System.out.printf("measured steps            %d (after %d warm-up)%n", steps, warmup);
        System.out.printf("tokens/s                  %.1f%n", speed.tokensPerSecond());
        System.out.printf("model FLOP/s              %.2f GFLOP/s (%.3e FLOPs/token)%n",
            speed.modelFlopsPerSecond() / 1e9, (double) flopsPerToken);
        System.out.printf("peak fp32 matmul FLOP/s   %.2f GFLOP/s (2048x2048, same engine, same run)%n",
            peak / 1e9);
        System.out.printf("peak bf16 matmul FLOP/s   %.2f GFLOP/s (2048x2048, same engine, same run)%n",
            peakBf16 / 1e9);
        System.out.printf("precision                 %s%n", cfg.precision().yamlName());
        System.out.printf("MFU                       %.3f (vs fp32 peak)%n", speed.mfu());
        System.out.printf("MFU bf16                  %.3f (vs bf16 peak)%n",
            speed.modelFlopsPerSecond() / peakBf16);
        for (long[] r : rss) {
          System.out.printf("rss step %-5d           %.1f MiB%n", r[0], r[1] / (1024.0 * 1024.0));
        }
      }
    } finally {
      DurableFiles.deleteRecursively(tmp); // the run's folder, its checkpoints included
    }
    return 0;
  }
}
