package org.olmo4j.cli;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.olmo4j.bootstrap.Bootstrap;
import org.olmo4j.bootstrap.WorkersPerNode;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.cli.ClusterNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code olmo4j launch CONFIG}: one command for every node of a Slurm or torchrun-style job; the
 * environment decides whether this process starts the cluster (as {@code train}) or joins it
 * (as {@code node}), at which address, with how many workers.
 */
@Command(name = "launch", mixinStandardHelpOptions = true,
    description = {"Start or join a run as the Slurm / torchrun environment says (every node).",
        "Seed nodes: --seed-nodes, else cluster.seed_nodes, else Slurm (first host of SLURM_JOB_NODELIST "
        + "at cluster.port), else torchrun-style MASTER_ADDR:MASTER_PORT (rank / node rank 0 "
        + "starts the cluster).",
        "Workers: --cluster.workers_per_node, else CUDA_/HIP_/ROCR_VISIBLE_DEVICES, else "
            + "SLURM_GPUS_ON_NODE, else the config, else one per GPU.",
        "Example: srun bin/olmo4j launch configs/OLMo-1B.yaml --cluster.min_workers=32"})
final class LaunchCommand implements Callable<Integer> {

  private static final Logger log = LoggerFactory.getLogger("olmo4j");

  @Mixin RunConfig run;

  @Mixin TrainLog logs;

  @Option(names = "--seed-nodes", split = ",",
      description = "HOST:PORT of the cluster's nodes; this node starts it if it is the first")
  List<String> seedNodes;

  @Option(names = "--host", description = "Address other nodes reach this one at "
      + "(default: SLURMD_NODENAME, MASTER_ADDR on the seed, else this machine's name)")
  String host;

  @Option(names = "--port", description = "Cluster port (default: cluster.port; a torchrun "
      + "seed uses MASTER_PORT, other torchrun nodes any free port)")
  Integer port;

  @Override
  public Integer call() {
    Map<String, String> env = System.getenv();
    TrainConfig base = run.load();
    Bootstrap.Plan plan = Bootstrap.plan(env, new Bootstrap.Request(seedNodes, host, port,
        base.cluster().seedNodes(), base.cluster().port(), localHostName()));
    Integer fromCommandLine = run.overrides("cluster.workers_per_node")
        ? base.cluster().workersPerNode() : null;
    WorkersPerNode workers =
        WorkersPerNode.decide(env, fromCommandLine, base.cluster().workersPerNode());
    log.info("launch: this node {}; workers: {}", plan.describe(), workers.describe());
    TrainConfig cfg = workers.count() == null ? run.loadForTraining()
        : run.loadForTraining("--cluster.workers_per_node=" + workers.count());
    String logFile = plan.startsCluster() ? TrainLog.FILE : TrainLog.nodeFile(plan.host());
    try (TrainLog.Scope s = logs.start(Path.of(cfg.saveFolder()), logFile)) {
      return ClusterNode.start(cfg, plan.host(), plan.port(), plan.seedNodes()).awaitExit();
    }
  }

  private static String localHostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      String name = System.getenv("HOSTNAME");
      return name != null && !name.isBlank() ? name : "127.0.0.1";
    }
  }
}
