package org.olmo4j.coordinator;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.olmo4j.cluster.ClusterMessage;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.model.OlmoModel;
import org.olmo4j.node.NodeGuardian;
import org.olmo4j.train.TrainCheckpoints;
import org.olmo4j.worker.GpuWorker;
import org.olmo4j.worker.WorkerEvent;

/**
 * The run's state machine, a cluster singleton: admits nodes whose config matches, forms a world
 * of ranks once {@code cluster.min_workers} workers are up, turns the ranks' reports into metrics
 * and commits checkpoints when every shard is durable. When a worker or node is lost it bumps the
 * generation, aborts the step in flight and forms a new world from the survivors at the last
 * committed checkpoint; workers that join are added at the next checkpoint. Never on a step's path.
 */
public final class Coordinator extends AbstractBehavior<Coordinator.Command> {

  public sealed interface Command extends ClusterMessage {}

  /**
   * A node's guardian presents the node: its address, resolved config and its proof of the
   * cluster's shared secret ({@link ClusterSecret}).
   */
  public record NodeUp(ActorRef<NodeGuardian.Command> guardian, String address, String configYaml,
      String secretProof) implements Command {}

  /** A node is shutting down gracefully (SIGTERM): checkpoint, re-form without it, then reply. */
  public record Drain(String address, ActorRef<Drained> replyTo) implements Command {}

  /** Reply to {@link Drain}: the node's workers are out of the world; it may leave. */
  public record Drained(String address, String outcome) implements ClusterMessage {}

  /** What an operator may ask of the run (control plane). */
  public enum ControlAction { PAUSE, RESUME, SAVE, STOP, DRAIN }

  /** An operator's request from the control service on this node; {@code node} for DRAIN. */
  public record Control(ControlAction action, String node, ActorRef<ControlReply> replyTo)
      implements Command {}

  /** The control service asks where the run stands. */
  public record GetStatus(ActorRef<RunStatus> replyTo) implements Command {}

  private record WorkerReported(WorkerEvent event) implements Command {}

  /** Workers or guardians (one message adapter per class: both listings come as this). */
  private record Listed(Receptionist.Listing listing) implements Command {}

  private record IntroductionsTimedOut() implements Command {}

  private record WorkerGone(ActorRef<GpuWorker.Command> worker) implements Command {}

  private record MembershipChanged(ClusterEvent.MemberEvent event) implements Command {}

  private record ReachabilityChanged(ClusterEvent.ReachabilityEvent event) implements Command {}

  private record SettleTimeout() implements Command {}

  private record EvalPublished(org.olmo4j.evaluator.Evaluator.Published published) implements Command {}

  /**
   * After a rank fails on the data plane (typically: a peer died), wait this long for the failure
   * detector to name the dead node before forming the next world, so it is not formed with the
   * dead node again. Slightly above the failure detector's acceptable heartbeat pause.
   */
  private static final java.time.Duration SETTLE = java.time.Duration.ofSeconds(6);

  /**
   * How long the coordinator waits for introduced guardians and workers to answer before it
   * forms a world without them. It waits for the answers because a coordinator that takes over
   * learns from the workers where the run stands.
   */
  private static final java.time.Duration INTRODUCTIONS = java.time.Duration.ofSeconds(10);

  /** Consecutive failed worlds (no step completed) before the run gives up. */
  private static final int MAX_FAILED_WORLDS = 5;

  private final TrainConfig cfg;
  private final ClusterSecret secret;
  private final long maxSteps;
  private final TrainCheckpoints checkpoints;
  private final ActorRef<WorkerEvent> events;
  private final WorkerPool pool = new WorkerPool();
  private final UnshardedExports exports;
  private final EvalRounds evals;
  private final Map<Integer, WorkerEvent.Ready> ready = new TreeMap<>();
  private final Departures departures = new Departures();
  private final ControlDesk desk = new ControlDesk();
  private final RunEvents runEvents;
  private final org.olmo4j.control.ControlServer control;
  private final Set<Integer> stopped = new HashSet<>();
  private Optional<TrainCheckpoints.ResumePoint> resume;
  private long generation;
  private World world;
  private RunProgress progress;
  private Recovery recovery;
  private int failedWorlds;
  private boolean waitingLogged;
  private boolean settling;
  /** Every rank has finished; waiting for the final checkpoint's shards to be committed. */
  private boolean finishing;
  private long lastCommittedStep = -1;
  private double lastCheckpointSeconds = Double.NaN;
  private double lastRecoverySeconds = Double.NaN;
  /** The newest world of a previous coordinator the workers report: the run to continue. */
  private WorkerEvent.RestartPoint takeOver;
  private final TimerScheduler<Command> timers;
  private final double nodePeakFlops;

  private Coordinator(ActorContext<Command> ctx, TimerScheduler<Command> timers, TrainConfig cfg,
      long maxSteps, long stepsPerEpoch, double nodePeakFlops) {
    super(ctx);
    this.nodePeakFlops = nodePeakFlops;
    this.timers = timers;
    this.cfg = cfg;
    this.secret = ClusterSecret.of(cfg.cluster());
    this.maxSteps = maxSteps;
    FlatLayout layout = new FlatLayout(OlmoModel.specs(cfg.model()));
    long examplesPerEpoch = stepsPerEpoch * cfg.globalTrainBatchSize();
    this.checkpoints = new TrainCheckpoints(cfg, layout, Path.of(cfg.saveFolder()),
        position -> position / examplesPerEpoch);
    this.resume = checkpoints.resumePoint();
    this.exports = new UnshardedExports(cfg, ctx.getSystem().dispatchers()
        .lookup(org.apache.pekko.actor.typed.DispatcherSelector.blocking()), ctx.getLog());
    this.events = ctx.messageAdapter(WorkerEvent.class, WorkerReported::new);
    this.evals = EvalRounds.start(ctx, cfg, ctx.messageAdapter(
        org.olmo4j.evaluator.Evaluator.Published.class, EvalPublished::new));
    this.runEvents = new RunEvents(ctx.getSystem());
    this.control = org.olmo4j.control.ControlServer.start(ctx.getSystem(), ctx.getSelf(),
        runEvents, cfg);
    ActorRef<Receptionist.Listing> listings = ctx.messageAdapter(Receptionist.Listing.class, Listed::new);
    ctx.getSystem().receptionist().tell(Receptionist.subscribe(GpuWorker.KEY, listings));
    ctx.getSystem().receptionist().tell(Receptionist.subscribe(NodeGuardian.KEY, listings));
    Cluster cluster = Cluster.get(ctx.getSystem());
    cluster.subscriptions().tell(Subscribe.create(
        ctx.messageAdapter(ClusterEvent.MemberEvent.class, MembershipChanged::new),
        ClusterEvent.MemberEvent.class));
    cluster.subscriptions().tell(Subscribe.create(
        ctx.messageAdapter(ClusterEvent.ReachabilityEvent.class, ReachabilityChanged::new),
        ClusterEvent.ReachabilityEvent.class));
  }

  /**
   * @param maxSteps the run's length in steps (max_duration resolved against the data)
   * @param stepsPerEpoch steps of one pass over the data
   * @param nodePeakFlops peak fp32 matmul FLOP/s measured on this node (the MFU reference)
   */
  public static Behavior<Command> create(TrainConfig cfg, long maxSteps, long stepsPerEpoch,
      double nodePeakFlops) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(
        timers -> new Coordinator(ctx, timers, cfg, maxSteps, stepsPerEpoch, nodePeakFlops)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(NodeUp.class, this::onNodeUp)
        .onMessage(Listed.class, m -> onListed(m.listing()))
        .onMessage(IntroductionsTimedOut.class, m -> onIntroductionsTimedOut())
        .onMessage(WorkerReported.class, this::onWorkerReported)
        .onMessage(WorkerGone.class, this::onWorkerGone)
        .onMessage(MembershipChanged.class, this::onMembershipChanged)
        .onMessage(ReachabilityChanged.class, this::onReachabilityChanged)
        .onMessage(SettleTimeout.class, m -> onSettled())
        .onMessage(Drain.class, this::onDrain)
        .onMessage(Control.class, this::onControl)
        .onMessage(GetStatus.class, this::onGetStatus)
        .onMessage(EvalPublished.class, m -> {
          evals.published(m.published(), progress, world);
          return this;
        })
        .onSignal(org.apache.pekko.actor.typed.PostStop.class, sig -> onPostStop())
        .build();
  }

  private Behavior<Command> onNodeUp(NodeUp m) {
    List<String> diff = secret.verifies(m.address(), m.secretProof())
        ? NodeConfigs.differences(cfg, m.configYaml())
        : List.of("the node did not present the cluster's shared secret (cluster.secret_file / secret_env)");
    if (!diff.isEmpty()) {
      getContext().getLog().error("refusing node {}: its config differs: {}", m.address(), diff);
      pool.refuse(m.address(), m.guardian());
      m.guardian().tell(new NodeGuardian.Refused(diff));
      if (!secret.verifies(m.address(), m.secretProof())) {
        Cluster.get(getContext().getSystem()).manager().tell(
            new org.apache.pekko.cluster.typed.Down(org.apache.pekko.actor.AddressFromURIString.parse(m.address())));
      }
      return this;
    }
    pool.admit(m.address(), m.guardian());
    getContext().getLog().info("node {} joined the run", m.address());
    return maybeFormWorld();
  }

  /** Introduces this coordinator to the workers and node guardians it has not seen yet. */
  private Behavior<Command> onListed(Receptionist.Listing listing) {
    if (listing.isForKey(GpuWorker.KEY)) {
      for (ActorRef<GpuWorker.Command> w : listing.getServiceInstances(GpuWorker.KEY)) {
        if (pool.firstSeen(w)) {
          getContext().watchWith(w, new WorkerGone(w));
          w.tell(new GpuWorker.Introduce(events));
        }
      }
    } else {
      for (ActorRef<NodeGuardian.Command> g : listing.getServiceInstances(NodeGuardian.KEY)) {
        if (pool.firstSeenNode(g)) {
          g.tell(new NodeGuardian.Introduce(getContext().getSelf()));
        }
      }
    }
    timers.startSingleTimer(new IntroductionsTimedOut(), INTRODUCTIONS);
    return this;
  }

  private Behavior<Command> onIntroductionsTimedOut() {
    int missing = pool.stopAwaiting();
    if (missing > 0) {
      getContext().getLog().warn("{} introduced node(s)/worker(s) did not answer within {} s; going "
          + "on without them", missing, INTRODUCTIONS.toSeconds());
    }
    return maybeFormWorld();
  }

  private Behavior<Command> onWorkerGone(WorkerGone m) {
    WorkerEvent.Registered r = pool.remove(m.worker());
    if (inWorld(m.worker())) {
      runEvents.notice("worker_lost", progress.lastStep(), "worker " + describe(r) + " stopped");
      return reform("worker " + describe(r) + " stopped");
    }
    return this;
  }

  private Behavior<Command> onMembershipChanged(MembershipChanged m) {
    if (m.event() instanceof ClusterEvent.MemberRemoved || m.event() instanceof ClusterEvent.MemberExited) {
      return dropNode(m.event().member().address().toString(), "left the cluster");
    }
    return this;
  }

  private Behavior<Command> onReachabilityChanged(ReachabilityChanged m) {
    String address = m.event().member().address().toString();
    if (m.event() instanceof ClusterEvent.UnreachableMember) {
      return dropNode(address, "is unreachable");
    }
    // Reachable again: its workers may rejoin (at the next checkpoint if a world is running).
    for (ActorRef<GpuWorker.Command> w : pool.seenOn(address)) {
      w.tell(new GpuWorker.Introduce(events));
    }
    return this;
  }

  private Behavior<Command> onDrain(Drain m) {
    if (world == null || !world.holdsRanksOn(m.address())) {
      pool.removeNode(m.address());
      m.replyTo().tell(new Drained(m.address(), "held no ranks"));
      return this;
    }
    getContext().getLog().info("node {} is leaving: checkpointing at the next step, then re-forming "
        + "the world without it", m.address());
    departures.sigterm(m.address(), m.replyTo());
    world.requestCheckpoint();
    return this;
  }

  private Behavior<Command> onControl(Control m) {
    boolean nothingToSave = desk.accept(m, world, pool, departures, selfAddress(),
        progress == null ? 0 : progress.lastStep(), runEvents, getContext().getLog());
    return nothingToSave ? finish(0, "stopped by the operator (no world was training)") : this;
  }

  private Behavior<Command> onGetStatus(GetStatus m) {
    m.replyTo().tell(RunStatus.of(desk.state(world, false), world, pool, progress, maxSteps,
        generation, lastCommittedStep, resume, selfAddress(), lastCheckpointSeconds,
        lastRecoverySeconds));
    return this;
  }

  private String selfAddress() {
    return Cluster.get(getContext().getSystem()).selfMember().address().toString();
  }

  private Behavior<Command> onPostStop() {
    desk.runEnded("the run has ended");
    departures.cancel("the run has ended");
    runEvents.close();
    control.close();
    return this;
  }

  /** After a commit: lets the departing nodes go and re-forms the world without them. */
  private Behavior<Command> releaseDepartures(long step) {
    boolean selfLeaving = departures.includes(selfAddress());
    List<String> who = departures.release(step, pool);
    if (selfLeaving) {
      return finish(0, "the coordinator's node is shutting down; stopped after checkpoint step "
          + step + " (resume with --try_load_latest_save=true)");
    }
    return reform("node(s) " + String.join(", ", who) + " left gracefully at checkpoint step " + step);
  }

  /** Forgets a node's workers; re-forms the world if it held ranks. */
  private Behavior<Command> dropNode(String address, String why) {
    boolean held = pool.removeWorkersOf(address).stream().anyMatch(this::inWorld);
    if (held) {
      runEvents.notice("worker_lost", progress.lastStep(), "node " + address + " " + why);
    }
    return held ? reform("node " + address + " " + why) : this;
  }

  private Behavior<Command> onWorkerReported(WorkerReported m) {
    WorkerEvent e = m.event();
    if (e instanceof WorkerEvent.Registered r) {
      boolean isNew = pool.register(r);
      takeOver = TakeOver.newer(takeOver, r.lastWorld(), generation);
      if (world != null && isNew && !inWorld(r.worker())) {
        getContext().getLog().info("worker {} will join at the next checkpoint", describe(r));
      }
      return maybeFormWorld();
    }
    if (world == null || e.generation() != world.generation()) {
      return this; // a report of a world that no longer exists
    }
    if (e instanceof WorkerEvent.Ready r) {
      ready.put(r.rank(), r);
      if (ready.size() == world.ranks().size()) {
        if (recovery != null) {
          recovery = recovery.loaded();
        }
        WorldFile.write(Path.of(cfg.saveFolder()), world.generation(), world.start().step(),
            world.ranks(), ready, recovery);
      }
    } else if (e instanceof WorkerEvent.StepDone d) {
      progress.stepDone(d);
      failedWorlds = 0;
      if (recovery != null && progress.lastStep() > world.start().step()) {
        getContext().getLog().info("recovered: {}", recovery.firstStepDone());
        lastRecoverySeconds = (System.nanoTime() - recovery.detectedNanos()) / 1e9;
        recovery = null;
      }
    } else if (e instanceof WorkerEvent.EvalDone d) {
      evals.scored(d);
    } else if (e instanceof WorkerEvent.ShardSaved s) {
      return onShardSaved(s);
    } else if (e instanceof WorkerEvent.Stopped s) {
      return onRankStopped(s);
    } else if (e instanceof WorkerEvent.Paused p && desk.rankPaused(p.rank(), p.step(), world.size())) {
      getContext().getLog().info("paused after step {}", p.step());
      runEvents.notice("paused", p.step(), "paused by the operator");
    }
    return this;
  }

  private Behavior<Command> onShardSaved(WorkerEvent.ShardSaved s) {
    if (s.error() != null) {
      getContext().getLog().warn("rank {} could not write its shard of step {}: {}; the checkpoint "
          + "of that step will not be committed", s.rank(), s.step(), s.error());
      return finishing && s.step() == progress.lastStep()
          ? finish(1, "the final checkpoint could not be written: " + s.error()) : this;
    }
    if (!progress.shardSaved(s)) {
      return this;
    }
    RunProgress.ShardTimes times = progress.shardTimes(s.step());
    Path dir;
    try {
      dir = progress.commit(checkpoints, s.step(), world.generation());
    } catch (RuntimeException e) {
      return finish(1, "committing the checkpoint of step " + s.step() + " failed: " + e.getMessage());
    }
    resume = Optional.of(new TrainCheckpoints.ResumePoint(dir, progress.stateAt(s.step()), false));
    lastCommittedStep = s.step();
    lastCheckpointSeconds = times.write();
    world.committed(dir);
    desk.committed(s.step(), dir.toString());
    runEvents.notice("checkpoint_committed", s.step(), dir.toString());
    getContext().getLog().info("committed checkpoint {} ({} shards; slowest write {} s, training "
            + "stall {} s = {}% of it)", dir, world.ranks().size(),
        String.format("%.3f", times.write()), String.format("%.4f", times.stall()),
        String.format("%.1f", 100 * times.stall() / Math.max(1e-9, times.write())));
    exports.afterCommit(dir, s.step());
    if (finishing && s.step() == progress.lastStep()) {
      return finish(0, "training finished at step " + progress.lastStep());
    }
    if (desk.stopping()) {
      return finish(0, "stopped by the operator after checkpoint step " + s.step()
          + " (resume with --try_load_latest_save=true)");
    }
    if (!departures.isEmpty()) {
      return releaseDepartures(s.step());
    }
    int joiners = pool.eligible().size() - world.ranks().size();
    if (joiners > 0 && world.ranks().size() < cfg.cluster().maxWorkers() && s.step() < maxSteps) {
      return reform(joiners + " worker(s) joining at checkpoint step " + s.step());
    }
    return this;
  }

  private Behavior<Command> onRankStopped(WorkerEvent.Stopped s) {
    if (s.error() != null) {
      if (s.fatal() || ++failedWorlds >= MAX_FAILED_WORLDS) {
        return finish(1, "rank " + s.rank() + " failed at step " + s.lastStep() + ": " + s.error());
      }
      settling = true;
      timers.startSingleTimer(new SettleTimeout(), SETTLE);
      return reform("rank " + s.rank() + " failed: " + s.error());
    }
    stopped.add(s.rank());
    if (stopped.size() < world.ranks().size()) {
      return this;
    }
    if (lastCommittedStep < progress.lastStep()) {
      finishing = true; // the final shards are still with the Checkpointers
      return this;
    }
    return finish(0, "training finished at step " + progress.lastStep());
  }

  private Behavior<Command> onSettled() {
    settling = false;
    return maybeFormWorld();
  }

  /** Aborts the current world and forms the next one from the last committed checkpoint. */
  private Behavior<Command> reform(String reason) {
    if (world == null) {
      return maybeFormWorld();
    }
    long next = world.generation() + 1;
    getContext().getLog().warn("re-forming the world: {} (generation {} → {}; resuming from {})",
        reason, world.generation(), next,
        resume.map(r -> r.dir().getFileName().toString()).orElse("the initialisation"));
    world.abort(next, pool);
    progress.close();
    desk.worldEnded("the world was re-formed: " + reason);
    runEvents.notice("world_reformed", progress.lastStep(), reason);
    recovery = Recovery.detected(reason);
    world = null;
    return maybeFormWorld();
  }

  private Behavior<Command> finish(int exitCode, String reason) {
    exports.awaitAll(); // the last unsharded export, if one is running, completes first
    evals.flush(progress, world); // and the last eval rounds reach metrics.jsonl
    getContext().getLog().info("{}; shutting the cluster down", reason);
    runEvents.notice("finished", progress == null ? 0 : progress.lastStep(), reason);
    desk.runEnded(reason);
    departures.cancel(reason);
    if (progress != null) {
      progress.close();
    }
    for (ActorRef<NodeGuardian.Command> g : pool.guardians()) {
      g.tell(new NodeGuardian.Shutdown(exitCode, reason));
    }
    return Behaviors.stopped();
  }

  /** Forms a world once enough workers of admitted nodes are registered. */
  private Behavior<Command> maybeFormWorld() {
    if (world != null || settling || pool.awaitingAnswers()) {
      return this;
    }
    List<WorkerEvent.Registered> candidates = pool.eligible();
    if (candidates.size() < cfg.cluster().minWorkers()) {
      if (!waitingLogged && pool.hasWorkers()) {
        getContext().getLog().info("waiting for workers: {} of cluster.min_workers = {} up",
            candidates.size(), cfg.cluster().minWorkers());
        waitingLogged = true;
      }
      return this;
    }
    waitingLogged = false;
    if (takeOver != null) {
      continueRun(takeOver);
      takeOver = null;
    }
    List<WorkerEvent.Registered> ranks =
        List.copyOf(candidates.subList(0, Math.min(candidates.size(), cfg.cluster().maxWorkers())));
    var start = resume.map(TrainCheckpoints.ResumePoint::state)
        .orElse(org.olmo4j.train.TrainState.start());
    world = new World(++generation, ranks, start);
    ready.clear();
    stopped.clear();
    // MFU reference: this node's measured fp32 matmul peak once per node of the world.
    progress = new RunProgress(cfg, ranks.size(), start, maxSteps, nodePeakFlops * world.nodes(),
        runEvents);
    if (recovery != null) {
      recovery = recovery.reformed();
    }
    getContext().getLog().info("world of generation {} formed: {} workers, from step {} to {}{}",
        world.generation(), ranks.size(), start.step(), maxSteps,
        resume.map(r -> " (checkpoint " + r.dir() + ")").orElse(""));
    if (start.step() >= maxSteps) {
      return finish(0, "nothing to do: the checkpoint is already at step " + start.step());
    }
    world.assign(maxSteps, resume, events);
    return this;
  }

  /**
   * This coordinator took over from one on a lost node: it continues that run at the checkpoint
   * its last world can restart from, in a newer generation than any before.
   */
  private void continueRun(WorkerEvent.RestartPoint from) {
    resume = checkpoints.continueFrom(from.checkpointDir(), from.weightsOnly(), from.generation());
    generation = from.generation();
    recovery = Recovery.detected("the coordinator moved to "
        + Cluster.get(getContext().getSystem()).selfMember().address());
    getContext().getLog().warn("taking over the run: the workers' last world was generation {}; "
        + "continuing from {}", from.generation(),
        resume.map(r -> r.dir().toString()).orElse("the initialisation"));
  }

  private boolean inWorld(ActorRef<GpuWorker.Command> worker) {
    return world != null && world.contains(worker);
  }

  private static String describe(WorkerEvent.Registered r) {
    return r == null ? "(unregistered)" : r.node() + "#" + r.localIndex();
  }

}
