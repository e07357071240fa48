package org.olmo4j.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.olmo4j.config.ConfigLoader;
import org.olmo4j.config.ModelConfig;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.model.Architecture;
import org.olmo4j.model.FlatLayout;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code olmo4j info CONFIG}: parameter counts and FLOPs per token of a config's model. */
@Command(name = "info", mixinStandardHelpOptions = true,
    description = "Print the model's parameter count and FLOPs per token.")
final class InfoCommand implements Callable<Integer> {

  @Mixin RunConfig run;

  @Override
  public Integer call() {
    TrainConfig cfg = run.loadListingIgnored(false); // info writes nothing: save_folder may not exist
    ModelConfig m = cfg.model();
    FlatLayout layout = FlatLayout.of(m);
    System.out.printf("model %s: d_model %d, n_heads %d, n_layers %d, mlp hidden %d, vocab %d "
            + "(embedding %d), seq %d, %s%n",
        cfg.runName(), m.dModel(), m.nHeads(), m.nLayers(), m.ffHiddenSize(), m.vocabSize(),
        m.paddedVocabSize(), m.maxSequenceLength(), m.weightTying() ? "tied" : "untied");
    System.out.println("architecture " + Architecture.of(m).describe());
    System.out.println("parameters " + layout.totalElements());
    System.out.println("non-embedding parameters " + Architecture.of(m).nonEmbeddingParams());
    long flops = Architecture.of(m).flopsPerToken(m.maxSequenceLength());
    System.out.printf("flops per token %d (%.3e; 6·N + attention, seq %d)%n",
        flops, (double) flops, m.maxSequenceLength());
    System.out.printf("tokens per step %d; optimizer state %.2f GiB (fp32 master + exp_avg + exp_avg_sq)%n",
        cfg.tokensPerStep(), 12.0 * layout.totalElements() / (1L << 30));
    return 0;
  }
}
