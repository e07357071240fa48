package org.olmo4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

  @Option(names = "--compare", description = "another run's metrics.jsonl to draw over this one "
      + "(repeatable, up to 3), e.g. the same config under another precision")
  List<Path> compare = new ArrayList<>();

  @Option(names = "--width", defaultValue = "1000", description = "pixels (default ${DEFAULT-VALUE})")
  int width;

  @Option(names = "--height", defaultValue = "900", description = "pixels (default ${DEFAULT-VALUE})")
  int height;

  @Override
  public Integer call() {
    // No display is needed, nor wanted on a cluster's login node.
    System.setProperty("java.awt.headless", "true");
    MetricsSeries series = MetricsSeries.read(metrics);
    String title = runName(metrics);
    List<MetricsPlot.Run> runs = new ArrayList<>(List.of(new MetricsPlot.Run(title, series)));
    for (Path other : compare) {
      runs.add(new MetricsPlot.Run(runName(other), MetricsSeries.read(other)));
    }
    try {
      if (!ImageIO.write(MetricsPlot.render(runs, title, width, height), "png", out.toFile())) {
        throw new IllegalStateException("no PNG writer in this JVM");
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot write " + out + ": " + e.getMessage());
    }
    System.out.println("wrote " + out + " (" + series.steps().length + " steps"
        + (compare.isEmpty() ? "" : ", " + runs.size() + " runs") + ", " + width + "x" + height
        + ")");
    return 0;
  }

  /** A run is named by its save folder, the directory holding its metrics.jsonl. */
  private static String runName(Path metrics) {
    Path parent = metrics.toAbsolutePath().getParent();
    return parent != null && parent.getFileName() != null
        ? parent.getFileName().toString() : metrics.toString();
  }
}
