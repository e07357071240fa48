package org.olmo4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import org.olmo4j.plot.MetricsPlot;
import org.olmo4j.plot.MetricsSeries;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code olmo4j plot METRICS.jsonl OUT.png}: loss, learning rate and tokens/s over steps. */
@Command(name = "plot", mixinStandardHelpOptions = true,
    description = {"Draw a run's loss, learning rate and tokens/s over steps as a PNG.",
        "Example: bin/olmo4j plot runs/olmo-tiny/metrics.jsonl olmo-tiny.png"})
final class PlotCommand implements Callable<Integer> {

  @Parameters(index = "0", description = "metrics.jsonl of a run (in its save_folder)")
  Path metrics;

  @Parameters(index = "1", description = "PNG file to write")
  Path out;

  @Option(names = "--width", defaultValue = "1000", description = "pixels (default ${DEFAULT-VALUE})")
  int width;

  @Option(names = "--height", defaultValue = "900", description = "pixels (default ${DEFAULT-VALUE})")
  int height;

  @Override
  public Integer call() {
    // No display is needed, nor wanted on a cluster's login node.
    System.setProperty("java.awt.headless", "true");
    MetricsSeries series = MetricsSeries.read(metrics);
    Path parent = metrics.toAbsolutePath().getParent();
    String title = parent != null && parent.getFileName() != null
        ? parent.getFileName().toString() : metrics.toString();
    try {
      if (!ImageIO.write(MetricsPlot.render(series, title, width, height), "png", out.toFile())) {
        throw new IllegalStateException("no PNG writer in this JVM");
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot write " + out + ": " + e.getMessage());
    }
    System.out.println("wrote " + out + " (" + series.steps().length + " steps, " + width + "x"
        + height + ")");
    return 0;
  }
}
