package org.olmo4j.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.olmo4j.bootstrap.Bootstrap;
import org.olmo4j.config.ConfigLoader;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.cli.ClusterNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code olmo4j node CONFIG [--seed-nodes=HOST:PORT[,…]]}: another node joins a run with its workers. */
@Command(name = "node", mixinStandardHelpOptions = true,
    description = {"Join a running cluster and contribute cluster.workers_per_node workers.",
        "The config must resolve to the run's (only cluster.workers_per_node may differ);",
        "a refused node logs the differing keys and exits with code 3."})
final class NodeCommand implements Callable<Integer> {

  @Mixin RunConfig run;

  @Mixin TrainLog logs;

  @Option(names = "--seed-nodes", split = ",", description = "HOST:PORT of one or more nodes "
      + "of the cluster (default: cluster.seed_nodes, else the Slurm / torchrun seed)")
  List<String> seedNodes;

  @Option(names = "--host", defaultValue = "127.0.0.1",
      description = "Address other nodes reach this one at (default ${DEFAULT-VALUE})")
  String host;

  @Option(names = "--port", defaultValue = "0",
      description = "Cluster port of this node (default: any free port)")
  int port;

  @Override
  public Integer call() {
    TrainConfig cfg = run.loadForTraining();
    List<String> seeds = seeds(cfg);
    try (TrainLog.Scope s = logs.start(Path.of(cfg.saveFolder()), TrainLog.nodeFile(host))) {
      return ClusterNode.start(cfg, host, port, seeds).awaitExit();
    }
  }

  /** {@code --seed-nodes}, else {@code cluster.seed_nodes}, else the seed of a Slurm/torchrun job. */
  private List<String> seeds(TrainConfig cfg) {
    if (seedNodes != null && !seedNodes.isEmpty()) {
      return seedNodes;
    }
    if (!cfg.cluster().seedNodes().isEmpty()) {
      return cfg.cluster().seedNodes();
    }
    return Bootstrap.seedFromEnv(System.getenv(), cfg.cluster().port()).map(List::of)
        .orElseThrow(() -> new IllegalArgumentException("no seed nodes to join: give "
            + "--seed-nodes=HOST:PORT, set cluster.seed_nodes, or run in a Slurm job or a "
            + "torchrun-style env (MASTER_ADDR, MASTER_PORT)"));
  }
}
