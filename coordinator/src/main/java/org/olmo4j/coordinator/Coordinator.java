package org.olmo4j.coordinator;

import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.typed.Cluster;
import org.olmo4j.cluster.ClusterMessage;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.control.ControlServer;
import org.olmo4j.data.DataSignature;
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
  private final ShardReports shardReports;
  private final WorldChoice worldChoice;
  private final double nodePeakFlops;
  private final String selfAddress;

  private Coordinator(ActorContext<Command> ctx, TimerScheduler<Command> timers, TrainConfig cfg,
      long maxSteps, long stepsPerEpoch, DataSignature data, double nodePeakFlops) {
    super(ctx);
    this.nodePeakFlops = nodePeakFlops;
    this.selfAddress = Cluster.get(ctx.getSystem()).selfMember().address().toString();
    this.failures = new Failures(timers, new SettleTimeout());
    this.stragglers = new StragglerPolicy(cfg.cluster().straggler(), cfg.cluster().minWorkers());
    this.watchdog = new StuckWatchdog(cfg.cluster());
    this.cfg = cfg;
    this.admission = new Admission(cfg, ctx.getSystem(), ctx.getLog());
    this.worldChoice = new WorldChoice(cfg, ctx.getLog());
    this.maxSteps = maxSteps;
    this.commits = new Commits(cfg, stepsPerEpoch, data, new UnshardedExports(cfg,
        ctx.getSystem().dispatchers().lookup(DispatcherSelector.blocking()), ctx.getLog()));
    this.events = ctx.messageAdapter(WorkerEvent.class, WorkerReported::new);
    this.evals = EvalRounds.start(ctx, cfg,
        ctx.messageAdapter(Evaluator.Published.class, EvalPublished::new));
    this.runEvents = new RunEvents(ctx.getSystem());
    this.shardReports = new ShardReports(commits, runEvents, ctx.getLog());
    // Binds in the background: a status request may come only once it is bound anyway.
    this.control = ControlServer.start(ctx.getSystem(), ctx.getSelf(), runEvents, cfg);
    ctx.spawn(Membership.create(ctx.getSelf(), events), "membership");
  }

  /**
   * @param maxSteps the run's length in steps (max_duration resolved against the data)
   * @param stepsPerEpoch steps of one pass over the data
   * @param data the run's data as this node reads it, recorded in checkpoints, checked on resume
   * @param nodePeakFlops peak fp32 matmul FLOP/s measured on this node (the MFU reference)
   */
  public static Behavior<Command> create(TrainConfig cfg, long maxSteps, long stepsPerEpoch,
      DataSignature data, double nodePeakFlops) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(
        timers -> new Coordinator(ctx, timers, cfg, maxSteps, stepsPerEpoch, data, nodePeakFlops)));
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
        shardReports.status());
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
      return next(shardReports.shardSaved(s, progress, world));
    } else if (e instanceof WorkerEvent.Stopped s) {
      return onRankStopped(s);
    } else if (e instanceof WorkerEvent.DataUnreadable u) {
      shardReports.dataUnreadable(u);
    } else if (e instanceof WorkerEvent.Paused p && desk.rankPaused(p.rank(), p.step(), world.size())) {
      getContext().getLog().info("paused after step {}", p.step());
      runEvents.notice("paused", p.step(), "paused by the operator");
    }
    return this;
  }

  /** cluster.straggler: the slow rank's node leaves at the next checkpoint, as drained nodes do. */
  private void drainStraggler(StragglerPolicy.Drain d) {
    departures.straggler(d.node());
    world.requestCheckpoint();
    runEvents.notice("straggler_drain", progress.lastStep(), d.describe());
  }

  /** cluster.stuck_factor: the stuck rank's node (or worker) is removed; the others re-form. */
  private Behavior<Command> removeStuck(StuckWatchdog.Stuck s) {
    runEvents.notice("rank_stuck", s.step(), s.describe());
    watchdog.remove(s, world, pool, selfAddress, getContext().getSystem(), getContext().getLog());
    return reform("rank " + s.rank() + " was stuck at step " + s.step());
  }

  private Behavior<Command> onRankStopped(WorkerEvent.Stopped s) {
    if (s.error() != null) {
      if (failures.worldFailed(s.fatal())) {
        return finish(1, "rank " + s.rank() + " failed at step " + s.lastStep() + ": " + s.error());
      }
      return reform("rank " + s.rank() + " failed: " + s.error());
    }
    return progress.rankStopped(s.rank()) ? next(shardReports.ranksStopped(progress)) : this;
  }

  /** What a checkpoint report leads to: after a commit, the waiting requests and leavers. */
  private Behavior<Command> next(ShardReports.Next next) {
    if (next instanceof ShardReports.End e) {
      return finish(e.exitCode(), e.reason());
    }
    if (!(next instanceof ShardReports.Committed c)) {
      return this;
    }
    desk.committed(c.step(), c.dir().toString());
    if (c.end().isPresent()) {
      return finish(c.end().get().exitCode(), c.end().get().reason());
    }
    if (desk.stopping()) {
      return finish(0, "stopped by the operator after checkpoint step " + c.step()
          + " (resume with --try_load_latest_save=true)");
    }
    if (!departures.isEmpty()) {
      return releaseDepartures(c.step());
    }
    // Under HYBRID_SHARD only joiners that make a larger multiple of the replicas count.
    int joiners = worldChoice.takeable(pool.eligible()).size() - world.ranks().size();
    if (joiners > 0 && c.step() < maxSteps) {
      return reform(joiners + " worker(s) joining at checkpoint step " + c.step());
    }
    return this;
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
    List<WorkerEvent.Registered> ranks = worldChoice.ranks(pool.eligible(), pool.hasWorkers());
    if (ranks.isEmpty()) {
      return this;
    }
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

  private boolean inWorld(ActorRef<GpuWorker.Command> worker) {
    return world != null && world.contains(worker);
  }
}
