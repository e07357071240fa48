package org.olmo4j.coordinator;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.olmo4j.cluster.ClusterMessage;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.control.ControlServer;
import org.olmo4j.evaluator.Evaluator;
import org.olmo4j.node.NodeGuardian;
import org.olmo4j.train.ShardGroups;
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

  /** From {@link Membership}: the coordinator was introduced to a guardian or worker. */
  record Introduced(ActorRef<?> who) implements Command {}

  /** From {@link Membership}: introductions went quiet; form a world without missing answers. */
  record IntroductionsTimedOut() implements Command {}

  /** From {@link Membership}: a worker stopped. */
  record WorkerGone(ActorRef<GpuWorker.Command> worker) implements Command {}

  /** From {@link Membership}: a node left the cluster or became unreachable. */
  record NodeLost(String address, String why) implements Command {}

  private record SettleTimeout() implements Command {}

  record EvalPublished(Evaluator.Published published) implements Command {}

  /** For {@link Finishing}: the running export has ended and the last eval rounds are here. */
  record EndWorkDone(List<Evaluator.Published> lastRounds, Throwable failure) implements Command {}

  private final TrainConfig cfg;
  private final Admission admission;
  private final long maxSteps;
  private final Commits commits;
  private final ActorRef<WorkerEvent> events;
  private final WorkerPool pool = new WorkerPool();
  private final EvalRounds evals;
  private final Departures departures = new Departures();
  private final ControlDesk desk = new ControlDesk();
  private final RunEvents runEvents;
  private final ControlServer control;
  private long generation;
  private World world;
  private RunProgress progress;
  private final Failures failures;
  private final StragglerPolicy stragglers;
  private final StuckWatchdog watchdog;
  private final CheckpointFailures checkpointFailures = new CheckpointFailures();
  /** A rank cannot read its data: the run ends, exit code 1, after the voted checkpoint. */
  private Optional<String> dataStop = Optional.empty();
  private boolean waitingLogged;
  /** Every rank has finished; waiting for the final checkpoint's shards to be committed. */
  private boolean finalCommitPending;
  private final double nodePeakFlops;
  private final String selfAddress;

  private Coordinator(ActorContext<Command> ctx, TimerScheduler<Command> timers, TrainConfig cfg,
      long maxSteps, long stepsPerEpoch, double nodePeakFlops) {
    super(ctx);
    this.nodePeakFlops = nodePeakFlops;
    this.selfAddress = Cluster.get(ctx.getSystem()).selfMember().address().toString();
    this.failures = new Failures(timers, new SettleTimeout());
    this.stragglers = new StragglerPolicy(cfg.cluster().straggler(), cfg.cluster().minWorkers());
    this.watchdog = new StuckWatchdog(cfg.cluster());
    this.cfg = cfg;
    this.admission = new Admission(cfg, ctx.getSystem(), ctx.getLog());
    this.maxSteps = maxSteps;
    this.commits = new Commits(cfg, stepsPerEpoch, new UnshardedExports(cfg,
        ctx.getSystem().dispatchers().lookup(DispatcherSelector.blocking()), ctx.getLog()));
    this.events = ctx.messageAdapter(WorkerEvent.class, WorkerReported::new);
    this.evals = EvalRounds.start(ctx, cfg,
        ctx.messageAdapter(Evaluator.Published.class, EvalPublished::new));
    this.runEvents = new RunEvents(ctx.getSystem());
    // Binds in the background: a status request may come only once it is bound anyway.
    this.control = ControlServer.start(ctx.getSystem(), ctx.getSelf(), runEvents, cfg);
    ctx.spawn(Membership.create(ctx.getSelf(), events), "membership");
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
        .onMessage(Introduced.class, m -> { pool.introduced(m.who()); return this; })
        .onMessage(IntroductionsTimedOut.class, m -> onIntroductionsTimedOut())
        .onMessage(WorkerReported.class, this::onWorkerReported)
        .onMessage(WorkerGone.class, this::onWorkerGone)
        .onMessage(NodeLost.class, m -> dropNode(m.address(), m.why()))
        .onMessage(SettleTimeout.class, m -> {
          failures.settled();
          return maybeFormWorld();
        })
        .onMessage(Drain.class, this::onDrain)
        .onMessage(Control.class, this::onControl)
        .onMessage(GetStatus.class, this::onGetStatus)
        .onMessage(EvalPublished.class, m -> { writeEvalRound(m.published()); return this; })
        .onSignal(PostStop.class, sig -> onPostStop())
        .build();
  }

  private Behavior<Command> onNodeUp(NodeUp m) {
    if (!admission.decide(m, pool)) {
      return this;
    }
    runEvents.notice("node_joined", progress == null ? 0 : progress.lastStep(),
        "node " + m.address() + " joined the run");
    return maybeFormWorld();
  }

  private Behavior<Command> onIntroductionsTimedOut() {
    pool.stopAwaiting(getContext().getLog());
    return maybeFormWorld();
  }

  private Behavior<Command> onWorkerGone(WorkerGone m) {
    WorkerEvent.Registered r = pool.remove(m.worker());
    if (inWorld(m.worker())) {
      String why = "worker " + WorkerPool.describe(r) + " stopped";
      runEvents.notice("worker_lost", progress.lastStep(), why);
      return reform(why);
    }
    return this;
  }

  private Behavior<Command> onDrain(Drain m) {
    runEvents.notice("node_drain", progress == null ? 0 : progress.lastStep(),
        "node " + m.address() + " is shutting down (SIGTERM)");
    departures.sigterm(m.address(), m.replyTo(), world, pool, getContext().getLog());
    return this;
  }

  private Behavior<Command> onControl(Control m) {
    boolean nothingToSave = desk.accept(m, world, pool, departures, selfAddress,
        progress == null ? 0 : progress.lastStep(), runEvents, getContext().getLog());
    return nothingToSave ? finish(0, "stopped by the operator (no world was training)") : this;
  }

  private Behavior<Command> onGetStatus(GetStatus m) {
    m.replyTo().tell(status(desk.state(world, false)));
    return this;
  }

  RunStatus status(String state) {
    return RunStatus.of(state, world, pool, progress, maxSteps, generation, commits.lastStep(),
        commits.resume(), selfAddress, commits.lastWriteSeconds(), failures.lastRecoverySeconds(),
        checkpointFailures.status());
  }

  Behavior<Command> onPostStop() {
    desk.runEnded("the run has ended");
    departures.cancel("the run has ended");
    runEvents.close();
    control.close();
    return Behaviors.same();
  }

  /** After a commit: lets the departing nodes go and re-forms the world without them. */
  private Behavior<Command> releaseDepartures(long step) {
    boolean selfLeaving = departures.includes(selfAddress);
    List<String> who = departures.release(step, pool);
    if (selfLeaving) {
      return finish(0, "the coordinator's node is shutting down; stopped after checkpoint step "
          + step + " (resume with --try_load_latest_save=true)");
    }
    return reform("node(s) " + String.join(", ", who) + " left gracefully at checkpoint step " + step);
  }

  /** Forgets a node's workers; re-forms the world if it held ranks. */
  private Behavior<Command> dropNode(String address, String why) {
    List<ActorRef<GpuWorker.Command>> removed = pool.removeWorkersOf(address);
    boolean held = removed.stream().anyMatch(this::inWorld);
    if (!removed.isEmpty()) { // also when a rank's failure has already ended the world
      runEvents.notice("worker_lost", progress == null ? 0 : progress.lastStep(),
          "node " + address + " " + why);
    }
    if (!removed.isEmpty() && failures.settled()) {
      // The failure detector has named the node a failed world lost: the next one can form now.
      getContext().getLog().info("node {} {}: forming the next world without it", address, why);
      return maybeFormWorld();
    }
    return held ? reform("node " + address + " " + why) : this;
  }

  private Behavior<Command> onWorkerReported(WorkerReported m) {
    WorkerEvent e = m.event();
    if (e instanceof WorkerEvent.Registered r) {
      boolean isNew = pool.register(r);
      commits.reported(r.lastWorld(), generation);
      if (world != null && isNew && !inWorld(r.worker())) {
        getContext().getLog().info("worker {} will join at the next checkpoint",
            WorkerPool.describe(r));
      }
      return maybeFormWorld();
    }
    if (world == null || e.generation() != world.generation()) {
      return this; // a report of a world that no longer exists
    }
    if (e instanceof WorkerEvent.Progress p) {
      return watchdog.report(p, System.nanoTime(), world, progress.rankTimes().medianStepSeconds())
          .map(this::removeStuck).orElse(this);
    } else if (e instanceof WorkerEvent.Ready r) {
      if (progress.rankReady(r)) {
        progress.writeWorldFile(world, failures.loaded());
      }
    } else if (e instanceof WorkerEvent.StepDone d) {
      if (progress.stepDone(d)) {
        stragglers.check(progress.rankTimes(), world, selfAddress, !departures.isEmpty(),
            getContext().getLog()).ifPresent(this::drainStraggler);
      }
      failures.stepDone(progress.lastStep(), world.start().step()).ifPresent(summary -> {
        getContext().getLog().info("recovered: {}", summary);
        runEvents.notice("recovered", progress.lastStep(), summary,
            Map.of("recovery_seconds", failures.lastRecoverySeconds()));
      });
    } else if (e instanceof WorkerEvent.EvalDone d) {
      evals.scored(d);
    } else if (e instanceof WorkerEvent.ShardSaved s) {
      return onShardSaved(s);
    } else if (e instanceof WorkerEvent.Stopped s) {
      return onRankStopped(s);
    } else if (e instanceof WorkerEvent.DataUnreadable u) {
      dataUnreadable(u);
    } else if (e instanceof WorkerEvent.Paused p && desk.rankPaused(p.rank(), p.step(), world.size())) {
      getContext().getLog().info("paused after step {}", p.step());
      runEvents.notice("paused", p.step(), "paused by the operator");
    }
    return this;
  }

  /** The ranks checkpoint the step and stop (their vote); the run then ends with this reason. */
  private void dataUnreadable(WorkerEvent.DataUnreadable u) {
    if (dataStop.isEmpty()) {
      dataStop = Optional.of("stopped after checkpoint step " + u.step() + ": rank " + u.rank()
          + " cannot read its data of step " + (u.step() + 1) + ": " + u.error());
      getContext().getLog().info("a rank cannot read its data: every rank checkpoints step {} and "
          + "the run stops", u.step());
      runEvents.notice("data_unreadable", u.step(), u.error());
    }
  }

  /** cluster.straggler: the slow rank's node leaves at the next checkpoint, as drained nodes do. */
  private void drainStraggler(StragglerPolicy.Drain d) {
    departures.straggler(d.node());
    world.requestCheckpoint();
    runEvents.notice("straggler_drain", progress.lastStep(), d.describe());
  }

  /**
   * cluster.stuck_factor: a rank alive but stuck cannot be waited out nor drained (a drain needs
   * its checkpoint), so its node is downed; its JVM then exits, and a restarted node joins at the
   * next checkpoint. The coordinator's own node cannot be downed by itself: that worker is left
   * out of the next worlds instead. Either way the others re-form from the last checkpoint.
   */
  private Behavior<Command> removeStuck(StuckWatchdog.Stuck s) {
    WorkerEvent.Registered stuck = world.ranks().get(s.rank());
    // Fencing: its collectives fail once it wakes, whatever becomes of its node.
    stuck.worker().tell(new GpuWorker.Abort(world.generation() + 1));
    runEvents.notice("rank_stuck", s.step(), s.describe());
    if (s.node().equals(selfAddress)) {
      getContext().getLog().warn("{}; it runs on the coordinator's node, which cannot down itself: "
          + "its worker is left out of the next worlds (restart the node to bring it back)",
          s.describe());
      pool.leaveOut(stuck.worker());
    } else {
      getContext().getLog().warn("{}: downing its node", s.describe());
      Cluster.get(getContext().getSystem()).manager()
          .tell(new Down(AddressFromURIString.parse(s.node())));
      pool.removeNode(s.node());
    }
    return reform("rank " + s.rank() + " was stuck at step " + s.step());
  }

  private Behavior<Command> onShardSaved(WorkerEvent.ShardSaved s) {
    if (s.error() != null) {
      return checkpointFailed(s.step(), s.error());
    }
    if (!progress.shardSaved(s)) {
      return this;
    }
    RunProgress.ShardTimes times = progress.shardTimes(s.step());
    Optional<Path> committed;
    try {
      committed = commits.commit(progress, world, s.step(), times);
    } catch (RuntimeException e) {
      return checkpointFailed(s.step(), e.getMessage());
    }
    if (committed.isEmpty()) {
      return this;
    }
    Path dir = committed.get();
    desk.committed(s.step(), dir.toString());
    runEvents.notice("checkpoint_committed", s.step(), dir.toString(),
        Map.of("write_seconds", times.write(), "stall_seconds", times.stall()));
    if (finalCommitPending && s.step() == progress.lastStep()) {
      return loopsEnded();
    }
    if (desk.stopping()) {
      return finish(0, "stopped by the operator after checkpoint step " + s.step()
          + " (resume with --try_load_latest_save=true)");
    }
    if (!departures.isEmpty()) {
      return releaseDepartures(s.step());
    }
    // Under HYBRID_SHARD only joiners that make a larger multiple of the replicas count.
    int joiners = takeable(pool.eligible()).size() - world.ranks().size();
    if (joiners > 0 && s.step() < maxSteps) {
      return reform(joiners + " worker(s) joining at checkpoint step " + s.step());
    }
    return this;
  }

  /**
   * A shard could not be written or the step could not be committed (a full disk, an I/O error):
   * one line and a notice per step, {@code latest} stays the previous complete checkpoint and
   * training goes on, so the next save_interval tries again. Only the run's final checkpoint
   * failing ends the run, with exit code 1.
   */
  private Behavior<Command> checkpointFailed(long step, String error) {
    boolean news = checkpointFailures.failed(step, error);
    if (finalCommitPending && step == progress.lastStep()) {
      return finish(1, "the final checkpoint (step " + step + ") could not be written: " + error
          + dataStop.map(d -> "; " + d).orElse(""));
    }
    if (news) {
      getContext().getLog().error("checkpoint of step {} failed: {}; training goes on, {} stays the "
          + "latest checkpoint and the next save_interval tries again", step, error, commits.from());
      runEvents.notice("checkpoint_failed", step, error);
    }
    return this;
  }

  private Behavior<Command> onRankStopped(WorkerEvent.Stopped s) {
    if (s.error() != null) {
      if (failures.worldFailed(s.fatal())) {
        return finish(1, "rank " + s.rank() + " failed at step " + s.lastStep() + ": " + s.error());
      }
      return reform("rank " + s.rank() + " failed: " + s.error());
    }
    if (!progress.rankStopped(s.rank())) {
      return this;
    }
    if (commits.lastStep() < progress.lastStep()) {
      finalCommitPending = true; // the final shards are still with the Checkpointers
      // ... unless one of them already failed: then the run cannot end with that checkpoint.
      return checkpointFailures.errorOf(progress.lastStep())
          .map(error -> checkpointFailed(progress.lastStep(), error)).orElse(this);
    }
    return loopsEnded();
  }

  /** Every rank's loop has ended and its last step is committed. */
  private Behavior<Command> loopsEnded() {
    return dataStop.map(reason -> finish(1, reason))
        .orElseGet(() -> finish(0, "training finished at step " + progress.lastStep()));
  }

  /** Aborts the current world and forms the next one from the last committed checkpoint. */
  private Behavior<Command> reform(String reason) {
    if (world == null) {
      return maybeFormWorld();
    }
    long next = world.generation() + 1;
    getContext().getLog().warn("re-forming the world: {} (generation {} → {}; resuming from {})",
        reason, world.generation(), next, commits.from());
    world.abort(next, pool);
    progress.close();
    desk.worldEnded("the world was re-formed: " + reason);
    runEvents.notice("world_reformed", progress.lastStep(), reason);
    failures.detected(reason);
    world = null;
    return maybeFormWorld();
  }

  /** Ends the run: answers the requests still waiting, then {@link Finishing} takes over. */
  private Behavior<Command> finish(int exitCode, String reason) {
    desk.runEnded(reason);
    departures.cancel(reason);
    runEvents.notice("finishing", progress == null ? 0 : progress.lastStep(), reason);
    return new Finishing(getContext(), this, exitCode, reason, commits.exports(), evals.flush());
  }

  /** For {@link Finishing}: writes an eval round of the last world unless it was written. */
  void writeEvalRound(Evaluator.Published round) {
    evals.published(round, progress, world);
  }

  /** For {@link Finishing}: the run's end is recorded and every node is told to shut down. */
  void shutDown(int exitCode, String reason) {
    runEvents.notice("finished", progress == null ? 0 : progress.lastStep(), reason);
    if (progress != null) {
      progress.close();
    }
    pool.guardians().forEach(g -> g.tell(new NodeGuardian.Shutdown(exitCode, reason)));
  }

  /** Forms a world once enough workers of admitted nodes are registered. */
  private Behavior<Command> maybeFormWorld() {
    if (world != null || failures.settling() || pool.awaitingAnswers()) {
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
    List<WorkerEvent.Registered> ranks = worldOf(candidates);
    if (ranks.isEmpty()) {
      return this;
    }
    waitingLogged = false;
    commits.takeOver().ifPresent(g -> {
      generation = g; // the next world's generation is newer than any before
      failures.detected("the coordinator moved to " + selfAddress);
    });
    var start = commits.start();
    world = new World(++generation, ranks, new ShardGroups(ranks.size(),
        ShardGroups.replicasOf(cfg, World.nodes(ranks))), start);
    watchdog.reset();
    // MFU reference: this node's measured fp32 matmul peak once per node of the world.
    progress = new RunProgress(cfg, world.groups(), start, maxSteps, nodePeakFlops * world.nodes(),
        stragglers.drainRatio(), runEvents);
    failures.reformed();
    getContext().getLog().info("world of generation {} formed: {} workers, from step {} to {}{}",
        world.generation(), ranks.size(), start.step(), maxSteps,
        commits.resume().map(r -> " (checkpoint " + r.dir() + ")").orElse(""));
    runEvents.notice("world_formed", start.step(), "generation " + world.generation() + ": "
        + ranks.size() + " worker(s) from step " + start.step(),
        Map.of("world_size", (double) ranks.size(), "generation", (double) world.generation()));
    if (start.step() >= maxSteps) {
      return finish(0, "nothing to do: the checkpoint is already at step " + start.step());
    }
    world.assign(maxSteps, commits.resume(), events);
    return this;
  }

  /**
   * The ranks of the next world ({@link #takeable}), or empty, waiting for more, when under
   * HYBRID_SHARD they are fewer than min_workers; says in one line when workers are left out.
   */
  private List<WorkerEvent.Registered> worldOf(List<WorkerEvent.Registered> candidates) {
    int up = Math.min(candidates.size(), cfg.cluster().maxWorkers());
    List<WorkerEvent.Registered> ranks = takeable(candidates);
    if (ranks.size() == up) {
      return ranks;
    }
    int replicas = ShardGroups.replicasOf(cfg, World.nodes(candidates.subList(0, up)));
    if (ranks.isEmpty() || ranks.size() < cfg.cluster().minWorkers()) {
      if (!waitingLogged) {
        getContext().getLog().info("waiting for workers: HYBRID_SHARD's {} replicas take a multiple"
            + " of {} workers, at least cluster.min_workers = {}; {} up", replicas, replicas,
            cfg.cluster().minWorkers(), up);
        waitingLogged = true;
      }
      return List.of();
    }
    getContext().getLog().info("HYBRID_SHARD's {} replicas take a multiple of {} workers: {} of"
        + " the {} up train, the others wait", replicas, replicas, ranks.size(), up);
    return ranks;
  }

  /**
   * The first max_workers candidates, under HYBRID_SHARD cut to the largest multiple of the
   * replicas (one per node of them when hybrid_sharding_num_model_replicas is null).
   */
  private List<WorkerEvent.Registered> takeable(List<WorkerEvent.Registered> candidates) {
    List<WorkerEvent.Registered> up =
        candidates.subList(0, Math.min(candidates.size(), cfg.cluster().maxWorkers()));
    int replicas = ShardGroups.replicasOf(cfg, World.nodes(up));
    return List.copyOf(up.subList(0, up.size() - up.size() % replicas));
  }

  private boolean inWorld(ActorRef<GpuWorker.Command> worker) {
    return world != null && world.contains(worker);
  }
}
