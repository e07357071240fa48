package org.olmo4j.node;

import ai.djl.engine.Engine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.olmo4j.checkpointer.Checkpointer;
import org.olmo4j.cluster.ClusterMessage;
import org.olmo4j.config.ConfigLoader;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.coordinator.Coordinator;
import org.olmo4j.loader.DataLoader;
import org.olmo4j.worker.GpuWorker;

/**
 * The composition root of a node: one {@link DataLoader}, one {@link Checkpointer},
 * {@code cluster.workers_per_node}
 * {@link GpuWorker}s, and the node's introduction to the coordinator. Ends the node's actor
 * system when the coordinator says the run is over, or refuses the node.
 */
public final class NodeGuardian extends AbstractBehavior<NodeGuardian.Command> {

  /** Guardians register under this key; the coordinator (a new one too) introduces itself. */
  public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "olmo4j-node");

  public sealed interface Command extends ClusterMessage {}

  /** A coordinator introduces itself; the guardian presents the node ({@link Coordinator.NodeUp}). */
  public record Introduce(ActorRef<Coordinator.Command> coordinator) implements Command {}

  /** The coordinator refused this node: its config differs in these keys. */
  public record Refused(List<String> differences) implements Command {}

  /** The run is over (or failed): stop this node with {@code exitCode}. */
  public record Shutdown(int exitCode, String reason) implements Command {}

  /** Exit code of a node whose config the coordinator refused. */
  public static final int EXIT_REFUSED = 3;

  /**
   * Exit code of a node the cluster removed (downed): cut off from the side the split brain
   * resolver keeps (the oldest node's), it stopped its workers. Started again, it rejoins.
   */
  public static final int EXIT_DOWNED = 4;

  private final CompletableFuture<Integer> exitCode;
  private final String address;
  private final String configYaml;
  private final String secretProof;
  /** Off once the coordinator ends the run: then there is nothing to drain. */
  private final AtomicBoolean drainOnShutdown = new AtomicBoolean();

  private NodeGuardian(ActorContext<Command> ctx, TrainConfig cfg, String host,
      ActorRef<Coordinator.Command> coordinator, CompletableFuture<Integer> exitCode) {
    super(ctx);
    this.exitCode = exitCode;
    this.address = Cluster.get(ctx.getSystem()).selfMember().address().toString();
    this.configYaml = ConfigLoader.toYaml(cfg);
    this.secretProof = org.olmo4j.coordinator.ClusterSecret.of(cfg.cluster()).proof(address);
    int workers = workersOnThisNode(cfg);
    if (workers > 0) {
      ActorRef<DataLoader.Command> loader = ctx.spawn(DataLoader.create(cfg), "data-loader");
      ActorRef<Checkpointer.Command> checkpointer =
          ctx.spawn(Checkpointer.create(Path.of(cfg.saveFolder())), "checkpointer");
      for (int i = 0; i < workers; i++) {
        ctx.spawn(GpuWorker.create(cfg, address, i, loader, checkpointer, host), "worker-" + i);
      }
    }
    // The coordinator finds this node through the receptionist, wherever the singleton runs.
    ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
    drainOnShutdown.set(workers > 0);
    registerDrain(ctx, coordinator, address, exitCode);
    ctx.getLog().info("node {} up with {} worker(s)", address, workers);
  }

  /**
   * On a graceful shutdown (SIGTERM runs Pekko's coordinated shutdown) the node first asks the
   * coordinator to checkpoint and re-form the world without it, so no step is lost.
   */
  private void registerDrain(ActorContext<Command> ctx, ActorRef<Coordinator.Command> coordinator,
      String address, CompletableFuture<Integer> exitCode) {
    var log = ctx.getLog();
    var system = ctx.getSystem();
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
    shutdown.addTask(CoordinatedShutdown.PhaseBeforeClusterShutdown(),
        "olmo4j-drain", () -> {
          if (shutdown.getShutdownReason().orElse(null) == CoordinatedShutdown.clusterDowningReason()) {
            // Downed: the coordinator is on the other side of a partition, thinks this node dead,
            // or found its rank stuck; there is no one to drain to, the world re-formed without it.
            // A node refused (and downed) by the coordinator keeps its own exit code.
            drainOnShutdown.set(false);
            if (exitCode.complete(EXIT_DOWNED)) {
              log.error("this node was removed from the cluster (cut off from the side the split "
                  + "brain resolver keeps, the oldest node's, or downed by the coordinator for a "
                  + "stuck rank): stopping its workers and exiting with code {}; start it again to "
                  + "rejoin the run at its next checkpoint", EXIT_DOWNED);
            }
          }
          if (!drainOnShutdown.get()) {
            return CompletableFuture.completedFuture(Done.getInstance());
          }
          log.info("shutting down: asking the coordinator to drain this node");
          return AskPattern.<Coordinator.Command, Coordinator.Drained>ask(coordinator,
                  r -> new Coordinator.Drain(address, r), Duration.ofSeconds(110), system.scheduler())
              .handle((d, e) -> {
                if (e != null) {
                  log.warn("drain did not complete ({}); leaving anyway", e.toString());
                } else {
                  log.info("drained: {}", d.outcome());
                }
                return Done.getInstance();
              });
        });
  }

  /** {@code cluster.workers_per_node}, or one per visible GPU (at least one) when it is null. */
  static int workersOnThisNode(TrainConfig cfg) {
    Integer n = cfg.cluster().workersPerNode();
    return n != null ? n : Math.max(1, Engine.getInstance().getGpuCount());
  }

  /** @param exitCode completed with the node's exit code just before its system terminates */
  public static Behavior<Command> create(TrainConfig cfg, String host,
      ActorRef<Coordinator.Command> coordinator, CompletableFuture<Integer> exitCode) {
    return Behaviors.setup(ctx -> new NodeGuardian(ctx, cfg, host, coordinator, exitCode));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Introduce.class, this::onIntroduce)
        .onMessage(Refused.class, this::onRefused)
        .onMessage(Shutdown.class, this::onShutdown)
        .build();
  }

  private Behavior<Command> onIntroduce(Introduce m) {
    m.coordinator().tell(new Coordinator.NodeUp(getContext().getSelf(), address, configYaml,
        secretProof));
    return this;
  }

  private Behavior<Command> onRefused(Refused m) {
    getContext().getLog().error("the coordinator refused this node: its config differs from the "
        + "run's in {} key(s):\n  {}", m.differences().size(), String.join("\n  ", m.differences()));
    return stop(EXIT_REFUSED);
  }

  private Behavior<Command> onShutdown(Shutdown m) {
    getContext().getLog().info("stopping node: {}", m.reason());
    Set<Address> gone = new HashSet<>();
    if (!hostsTheSingleton() || othersInTheCluster(gone) == 0) {
      return stop(m.exitCode());
    }
    // The oldest node hands the coordinator singleton over to the next oldest when it leaves; if
    // that node is leaving too, the hand-over waits out Pekko's cluster-exiting phase (10 s).
    // The others are stopping as well: let them leave first (the bound keeps a node that does
    // not leave, or died, from holding this one up).
    drainOnShutdown.set(false);
    exitCode.complete(m.exitCode());
    ActorRef<ClusterEvent.MemberRemoved> removed =
        getContext().messageAdapter(ClusterEvent.MemberRemoved.class,
            e -> new MemberGone(e.member().address()));
    Cluster.get(getContext().getSystem()).subscriptions()
        .tell(Subscribe.create(removed, ClusterEvent.MemberRemoved.class));
    getContext().scheduleOnce(OTHERS_LEAVE_WITHIN, getContext().getSelf(), new LeaveWaitOver());
    return Behaviors.receive(Command.class)
        .onMessage(MemberGone.class, g -> {
          gone.add(g.address());
          return othersInTheCluster(gone) > 0 ? Behaviors.same() : stop(m.exitCode());
        })
        .onMessage(LeaveWaitOver.class, w -> {
          getContext().getLog().info("stopping with {} other node(s) still in the cluster",
              othersInTheCluster(gone));
          return stop(m.exitCode());
        })
        .build();
  }

  /** How long the oldest node waits for the others to leave before it stops anyway. */
  private static final Duration OTHERS_LEAVE_WITHIN = Duration.ofSeconds(8);

  /** A member was removed from the cluster (local). */
  private record MemberGone(Address address) implements Command {}

  /** The oldest node has waited {@link #OTHERS_LEAVE_WITHIN} for the others (local). */
  private record LeaveWaitOver() implements Command {}

  /** Whether this node is the oldest up: the coordinator singleton's host. */
  private boolean hostsTheSingleton() {
    Cluster cluster = Cluster.get(getContext().getSystem());
    Member self = cluster.selfMember();
    for (Member m : cluster.state().getMembers()) {
      if (m.status() == MemberStatus.up() && !m.equals(self) && m.isOlderThan(self)) {
        return false;
      }
    }
    return self.status() == MemberStatus.up();
  }

  /**
   * Members other than this node, less those in {@code gone}: removals seen as events, which the
   * cluster's state may show only a moment later.
   */
  private int othersInTheCluster(Set<Address> gone) {
    Cluster cluster = Cluster.get(getContext().getSystem());
    int others = 0;
    for (Member m : cluster.state().getMembers()) {
      if (!m.equals(cluster.selfMember()) && !gone.contains(m.address())) {
        others++;
      }
    }
    return others;
  }

  private Behavior<Command> stop(int code) {
    drainOnShutdown.set(false);
    exitCode.complete(code);
    getContext().getSystem().terminate();
    return Behaviors.stopped();
  }
}
