package org.olmo4j.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.JoinSeedNodes;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.coordinator.Coordinator;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.node.NodeGuardian;
import org.olmo4j.train.TrainCheckpoints;
import org.olmo4j.train.TrainData;

/**
 * Starts one node of a run: a Pekko cluster member on {@code host:port} that joins the seed
 * nodes (or itself), hosts the coordinator singleton when it is the oldest member, and runs its
 * {@link NodeGuardian}.
 */
public final class ClusterNode {

  public static final String SYSTEM_NAME = "olmo4j";

  /** A started node: its actor system and the exit code it will end with. */
  public record Handle(ActorSystem<Void> system, CompletableFuture<Integer> exitCode) {
    /** Blocks until the node's system has terminated; returns its exit code. */
    public int awaitExit() {
      CompletableFuture<?> terminated = system.getWhenTerminated().toCompletableFuture();
      CompletableFuture.anyOf(terminated, exitCode).join();
      try {
        // The run is over once the exit code is set; Pekko's own shutdown gets a bounded wait
        // (its Artery TLS streams have been seen to hang in teardown after the run ended).
        terminated.get(30, java.util.concurrent.TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        org.slf4j.LoggerFactory.getLogger(ClusterNode.class)
            .warn("the actor system did not terminate within 30 s of the end of the run; exiting anyway");
      } catch (Exception e) {
        // Interrupted or failed termination: exit with the run's code anyway.
      }
      // Stopped workers abort their loops; let them leave libtorch before the JVM exits.
      org.olmo4j.worker.GpuWorker.awaitLoops(java.time.Duration.ofSeconds(60));
      return exitCode.getNow(1);
    }
  }

  private ClusterNode() {}

  /**
   * @param seedNodes {@code host:port} of nodes to join; empty: this node starts the cluster
   * @param port 0 for any free port
   */
  public static Handle start(TrainConfig cfg, String host, int port, List<String> seedNodes) {
    long maxSteps;
    long stepsPerEpoch;
    org.olmo4j.data.DataSignature signature;
    try (TrainData data = TrainData.open(cfg)) {
      stepsPerEpoch = data.stepsPerEpoch();
      signature = data.signature();
      maxSteps = cfg.maxDuration().toSteps(cfg.tokensPerStep(), stepsPerEpoch);
    }
    // A missing shared secret, token file or key store is the user's to fix: say so before the
    // actors start (inside them it would only stop the coordinator).
    org.olmo4j.coordinator.ClusterSecret.of(cfg.cluster());
    org.olmo4j.control.ControlServer.checkConfig(cfg.control());
    // Refuse a bad load_path / corrupt or incompatible checkpoint (or one written for other
    // data) before any actor starts.
    new TrainCheckpoints(cfg, FlatLayout.of(cfg.model()),
        java.nio.file.Path.of(cfg.saveFolder()), p -> 0, signature).resumePoint();
    double peak;
    try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
      peak = org.olmo4j.train.PeakFlops.measureMatmul(m, 1024, 0.5);
    }
    CompletableFuture<Integer> exitCode = new CompletableFuture<>();
    Behavior<Void> root = Behaviors.setup(ctx -> {
      ActorRef<Coordinator.Command> coordinator = ClusterSingleton.get(ctx.getSystem()).init(
          SingletonActor.of(Coordinator.create(cfg, maxSteps, stepsPerEpoch, signature, peak),
              "coordinator"));
      ctx.spawn(NodeGuardian.create(cfg, host, coordinator, exitCode), "node");
      return Behaviors.empty();
    });
    ActorSystem<Void> system = ActorSystem.create(root, SYSTEM_NAME, config(host, port));
    Cluster cluster = Cluster.get(system);
    List<Address> seeds = new ArrayList<>();
    for (String s : seedNodes) {
      seeds.add(seedAddress(s));
    }
    if (seeds.isEmpty()) {
      seeds.add(cluster.selfMember().address());
    }
    cluster.manager().tell(new JoinSeedNodes(seeds));
    return new Handle(system, exitCode);
  }

  static Address seedAddress(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0 || colon == hostPort.length() - 1) {
      throw new IllegalArgumentException("seed node '" + hostPort + "' is not HOST:PORT");
    }
    try {
      return new Address("pekko", SYSTEM_NAME, hostPort.substring(0, colon),
          Integer.parseInt(hostPort.substring(colon + 1)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("seed node '" + hostPort + "' has no numeric port");
    }
  }

  static Config config(String host, int port) {
    return ConfigFactory.parseString(String.join("\n",
            "pekko.remote.artery.canonical.hostname = \"" + host + "\"",
            "pekko.remote.artery.canonical.port = " + port))
        .withFallback(ConfigFactory.load());
  }
}
