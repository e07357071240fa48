package org.olmo4j.coordinator;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.olmo4j.cluster.ClusterMessage;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.model.OlmoModel;
import org.olmo4j.node.NodeGuardian;
import org.olmo4j.train.TrainCheckpoints;
import org.olmo4j.train.TrainState;
import org.olmo4j.worker.GpuWorker;
import org.olmo4j.worker.WorkerEvent;

/**
 * The run's state machine, a cluster singleton: admits nodes whose config matches, forms the
 * world once {@code cluster.min_workers} workers are up, assigns ranks, turns the ranks' reports
 * into metrics and commits checkpoints when every shard is durable. Never on a step's path.
 */
public final class Coordinator extends AbstractBehavior<Coordinator.Command> {

  public sealed interface Command extends ClusterMessage {}

  /** A node's guardian presents the node: its address and resolved config. */
  public record NodeUp(ActorRef<NodeGuardian.Command> guardian, String address, String configYaml)
      implements Command {}

  private record WorkerReported(WorkerEvent event) implements Command {}

  private record WorkersListed(Receptionist.Listing listing) implements Command {}

  private final TrainConfig cfg;
  private final long maxSteps;
  private final TrainCheckpoints checkpoints;
  private final ActorRef<WorkerEvent> events;
  private final Map<String, ActorRef<NodeGuardian.Command>> nodes = new LinkedHashMap<>();
  private final Set<String> refusedNodes = new HashSet<>();
  private final Set<ActorRef<GpuWorker.Command>> introduced = new HashSet<>();
  private final Map<ActorRef<GpuWorker.Command>, WorkerEvent.Registered> workers = new LinkedHashMap<>();
  private World world;
  private RunProgress progress;
  private final Set<Integer> stopped = new HashSet<>();
  private final Map<Integer, WorkerEvent.Ready> ready = new java.util.TreeMap<>();

  /** The ranks of one generation. */
  private record World(long generation, List<WorkerEvent.Registered> ranks, TrainState start) {}

  private Coordinator(ActorContext<Command> ctx, TrainConfig cfg, long maxSteps, long stepsPerEpoch) {
    super(ctx);
    this.cfg = cfg;
    this.maxSteps = maxSteps;
    FlatLayout layout = new FlatLayout(OlmoModel.specs(cfg.model()));
    long examplesPerEpoch = stepsPerEpoch * cfg.globalTrainBatchSize();
    this.checkpoints = new TrainCheckpoints(cfg, layout, Path.of(cfg.saveFolder()),
        position -> position / examplesPerEpoch);
    this.events = ctx.messageAdapter(WorkerEvent.class, WorkerReported::new);
    ActorRef<Receptionist.Listing> listings =
        ctx.messageAdapter(Receptionist.Listing.class, WorkersListed::new);
    ctx.getSystem().receptionist().tell(Receptionist.subscribe(GpuWorker.KEY, listings));
  }

  /**
   * @param maxSteps the run's length in steps (max_duration resolved against the data)
   * @param stepsPerEpoch steps of one pass over the data
   */
  public static Behavior<Command> create(TrainConfig cfg, long maxSteps, long stepsPerEpoch) {
    return Behaviors.setup(ctx -> new Coordinator(ctx, cfg, maxSteps, stepsPerEpoch));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(NodeUp.class, this::onNodeUp)
        .onMessage(WorkersListed.class, this::onWorkersListed)
        .onMessage(WorkerReported.class, this::onWorkerReported)
        .build();
  }

  private Behavior<Command> onNodeUp(NodeUp m) {
    List<String> diff = NodeConfigs.differences(cfg, m.configYaml());
    if (!diff.isEmpty()) {
      getContext().getLog().error("refusing node {}: its config differs: {}", m.address(), diff);
      refusedNodes.add(m.address());
      m.guardian().tell(new NodeGuardian.Refused(diff));
      return this;
    }
    nodes.put(m.address(), m.guardian());
    getContext().getLog().info("node {} joined the run", m.address());
    return maybeFormWorld();
  }

  private Behavior<Command> onWorkersListed(WorkersListed m) {
    for (ActorRef<GpuWorker.Command> w : m.listing().getServiceInstances(GpuWorker.KEY)) {
      if (introduced.add(w)) {
        w.tell(new GpuWorker.Introduce(events));
      }
    }
    return this;
  }

  private Behavior<Command> onWorkerReported(WorkerReported m) {
    WorkerEvent e = m.event();
    if (e instanceof WorkerEvent.Registered r) {
      workers.put(r.worker(), r);
      return maybeFormWorld();
    }
    if (world == null) {
      return this;
    }
    if (e instanceof WorkerEvent.Ready r && r.generation() == world.generation()) {
      getContext().getLog().info("rank {} ready: {} shard elements, {} bytes of optimizer state",
          r.rank(), r.shardElements(), r.optimizerStateBytes());
      ready.put(r.rank(), r);
      if (ready.size() == world.ranks().size()) {
        WorldFile.write(Path.of(cfg.saveFolder()), world.generation(), world.ranks(), ready);
      }
    } else if (e instanceof WorkerEvent.StepDone d && d.generation() == world.generation()) {
      progress.stepDone(d);
    } else if (e instanceof WorkerEvent.ShardSaved s && s.generation() == world.generation()) {
      if (progress.shardSaved(s)) {
        Path dir = progress.commit(checkpoints, s.step(), world.generation());
        getContext().getLog().info("committed checkpoint {} ({} shards)", dir, world.ranks().size());
      }
    } else if (e instanceof WorkerEvent.Stopped s && s.generation() == world.generation()) {
      return onRankStopped(s);
    }
    return this;
  }

  private Behavior<Command> onRankStopped(WorkerEvent.Stopped s) {
    if (s.error() != null) {
      getContext().getLog().error("rank {} failed at step {}: {}", s.rank(), s.lastStep(), s.error());
      return finish(1, "rank " + s.rank() + " failed: " + s.error());
    }
    stopped.add(s.rank());
    if (stopped.size() == world.ranks().size()) {
      return finish(0, "training finished at step " + progress.lastStep());
    }
    return this;
  }

  private Behavior<Command> finish(int exitCode, String reason) {
    getContext().getLog().info("{}; shutting the cluster down", reason);
    if (progress != null) {
      progress.close();
    }
    for (ActorRef<NodeGuardian.Command> g : nodes.values()) {
      g.tell(new NodeGuardian.Shutdown(exitCode, reason));
    }
    return Behaviors.stopped();
  }

  /** Forms the first world once enough workers of admitted nodes are registered. */
  private Behavior<Command> maybeFormWorld() {
    if (world != null) {
      return this;
    }
    List<WorkerEvent.Registered> ready = new ArrayList<>();
    List<String> nodeOrder = new ArrayList<>(nodes.keySet());
    for (WorkerEvent.Registered r : workers.values()) {
      if (nodes.containsKey(r.node()) && !refusedNodes.contains(r.node())) {
        ready.add(r);
      }
    }
    if (ready.size() < cfg.cluster().minWorkers()) {
      return this;
    }
    ready.sort(Comparator.comparingInt((WorkerEvent.Registered r) -> nodeOrder.indexOf(r.node()))
        .thenComparingInt(WorkerEvent.Registered::localIndex));
    List<WorkerEvent.Registered> ranks = ready.subList(0, Math.min(ready.size(), cfg.cluster().maxWorkers()));
    Optional<TrainCheckpoints.ResumePoint> resume = checkpoints.resumePoint();
    TrainState start = resume.map(TrainCheckpoints.ResumePoint::state).orElse(TrainState.start());
    world = new World(1, List.copyOf(ranks), start);
    progress = new RunProgress(cfg, ranks.size(), start, maxSteps, 0);
    List<String> endpoints = ranks.stream().map(WorkerEvent.Registered::exchangeEndpoint).toList();
    getContext().getLog().info("world of generation {} formed: {} workers, from step {} to {}{}",
        world.generation(), ranks.size(), start.step(), maxSteps,
        resume.map(r -> " (checkpoint " + r.dir() + ")").orElse(""));
    for (int rank = 0; rank < ranks.size(); rank++) {
      ranks.get(rank).worker().tell(new GpuWorker.Assign(world.generation(), rank, ranks.size(),
          endpoints, start.step(), start.dataPosition(), maxSteps,
          resume.map(r -> r.dir().toString()).orElse(null),
          resume.map(TrainCheckpoints.ResumePoint::weightsOnly).orElse(false), events));
    }
    if (start.step() >= maxSteps) {
      return finish(0, "nothing to do: the checkpoint is already at step " + start.step());
    }
    return this;
  }
}
