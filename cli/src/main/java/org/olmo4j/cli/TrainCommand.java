package org.olmo4j.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.olmo4j.config.ConfigLoader;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.cli.ClusterNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code olmo4j train CONFIG [--key.path=value …]}: starts a run as a one-node cluster with
 * {@code cluster.workers_per_node} workers; other nodes may join it with {@code olmo4j node}.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = {"Train a model as the config says; resume with --try_load_latest_save=true "
        + "or --load_path=DIR.", "Starts a one-node cluster; more nodes join with "
        + "'olmo4j node CONFIG --seed-nodes=HOST:PORT'.",
        "Example: bin/olmo4j train configs/olmo-tiny.yaml --max_duration=50"})
final class TrainCommand implements Callable<Integer> {

  @Mixin RunConfig run;

  @Mixin TrainLog logs;

  @Option(names = "--host", defaultValue = "127.0.0.1",
      description = "Address other nodes reach this one at (default ${DEFAULT-VALUE})")
  String host;

  @Option(names = "--port",
      description = "Cluster port of this node, 0 for any (default: cluster.port, 25520)")
  Integer port;

  @Override
  public Integer call() {
    TrainConfig cfg = run.loadForTrainingListingIgnored();
    int p = port != null ? port : cfg.cluster().port();
    try (TrainLog.Scope s = logs.start(Path.of(cfg.saveFolder()), TrainLog.FILE)) {
      return ClusterNode.start(cfg, host, p, List.of()).awaitExit();
    }
  }
}
