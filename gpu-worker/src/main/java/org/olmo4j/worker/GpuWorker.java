package org.olmo4j.worker;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.olmo4j.checkpointer.Checkpointer;
import org.olmo4j.checkpointer.ShardSnapshot;
import org.olmo4j.cluster.ClusterMessage;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.data.DataException;
import org.olmo4j.train.ShardGroups;
import org.olmo4j.train.TrainingDivergedException;
import org.olmo4j.loader.DataLoader;

/**
 * One worker per accelerator: holds the full compute copy of the model and its ZeRO shard, and
 * trains on its own once assigned to a world. The training loop runs on a blocking dispatcher;
 * the actor stays responsive to aborts.
 */
public final class GpuWorker extends AbstractBehavior<GpuWorker.Command> {

  public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "olmo4j-gpu-worker");
  /** The dispatcher that runs training loops (configured in reference.conf). */
  public static final String DISPATCHER = "olmo4j.worker-dispatcher";

  public sealed interface Command extends ClusterMessage {}

  /** The coordinator introduces itself; the worker answers {@link WorkerEvent.Registered}. */
  public record Introduce(ActorRef<WorkerEvent> coordinator) implements Command {}

  /**
   * Train as rank {@code rank} of a world of {@code worldSize} (generation {@code generation})
   * from step {@code startStep} (global data position {@code startPosition}) to {@code maxSteps};
   * {@code checkpointDir} null: start from the seeded initialisation. {@code endpoints}: every
   * rank's data plane in rank order; under HYBRID_SHARD ({@code replicas} > 1, {@link
   * ShardGroups}) each rank's shard-group server, and {@code replicaEndpoints} each rank's
   * replica-group server (empty otherwise).
   */
  public record Assign(long generation, int rank, int worldSize, List<String> endpoints,
      int replicas, List<String> replicaEndpoints,
      long startStep, long startPosition, long maxSteps, String checkpointDir,
      boolean weightsOnly, ActorRef<WorkerEvent> coordinator) implements Command {

    /** How this world is split into shard and replica groups. */
    public ShardGroups groups() {
      return new ShardGroups(worldSize, replicas);
    }
  }

  /** Stop the loop of an older generation at once (collectives in flight fail fast). */
  public record Abort(long newGeneration) implements Command {}

  /** Checkpoint at the next step boundary (all ranks agree on the step through the data plane). */
  public record SaveNow(long generation) implements Command {}

  /** Pause every rank at the next step boundary (agreed through the data plane). */
  public record Pause(long generation) implements Command {}

  /** End the pause the rank is in. */
  public record Resume(long generation) implements Command {}

  /** The checkpoint in {@code dir} was committed during the world of {@code generation}. */
  public record Committed(long generation, String dir) implements Command {}

  private record StreamReady(Assign assign, DataLoader.StreamOpened opened) implements Command {}

  private record LoopEnded(Assign assign, Long lastStep, Throwable failure) implements Command {}

  private record ShardWritten(Checkpointer.ShardWritten written) implements Command {}

  private record ReportProgress() implements Command {}

  /** How often a running rank tells the coordinator where it is (the stuck-rank watchdog). */
  static final Duration PROGRESS_INTERVAL = Duration.ofSeconds(1);

  private final TrainConfig cfg;
  private final String node;
  private final int localIndex;
  private final ActorRef<DataLoader.Command> loader;
  private final RankTraining.ShardSink shards;
  /** The coordinator of the newest assignment: where shard reports go. */
  private ActorRef<WorkerEvent> coordinator;
  private final DataPlaneServers dataPlane;
  private final Executor blocking;
  private final TimerScheduler<Command> timers;
  private volatile RankTraining loop;
  /**
   * The newest generation assigned: a loop still being built (its model, its exchange) when a
   * newer world is assigned is not yet {@link #loop}, so it checks this once built.
   */
  private volatile long newestAssigned = -1;
  /**
   * Training loops still running in this JVM: the process must not exit while one is inside a
   * libtorch call (native teardown under a running op crashes the JVM).
   */
  private static final java.util.Set<CompletableFuture<Long>> RUNNING =
      java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** True from the start of a loop until its LoopEnded is handled. */
  private boolean running;
  /** An assignment that waits for the previous generation's loop to end. */
  private Assign pending;
  /** Where the newest world this worker was assigned to can restart; null before the first. */
  private WorkerEvent.RestartPoint lastWorld;

  private GpuWorker(ActorContext<Command> ctx, TimerScheduler<Command> timers, TrainConfig cfg,
      String node, int localIndex, ActorRef<DataLoader.Command> loader,
      ActorRef<Checkpointer.Command> checkpointer, String host) {
    super(ctx);
    this.timers = timers;
    this.cfg = cfg;
    this.node = node;
    this.localIndex = localIndex;
    this.loader = loader;
    this.shards = new RankTraining.ShardSink(checkpointer, new ShardSnapshot(2),
        ctx.messageAdapter(Checkpointer.ShardWritten.class, ShardWritten::new));
    this.dataPlane = DataPlaneServers.start(cfg, host, localIndex);
    this.blocking = ctx.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(DISPATCHER));
    ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
  }

  /**
   * @param checkpointer this node's Checkpointer (shards are written there, off the step)
   * @param node this node's cluster address (for reports)
   * @param host the address peers reach this worker's data plane at
   */
  public static Behavior<Command> create(TrainConfig cfg, String node, int localIndex,
      ActorRef<DataLoader.Command> loader, ActorRef<Checkpointer.Command> checkpointer, String host) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
        new GpuWorker(ctx, timers, cfg, node, localIndex, loader, checkpointer, host)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Introduce.class, this::onIntroduce)
        .onMessage(Assign.class, this::onAssign)
        .onMessage(StreamReady.class, this::onStreamReady)
        .onMessage(Abort.class, this::onAbort)
        .onMessage(SaveNow.class, this::onSaveNow)
        .onMessage(Committed.class, this::onCommitted)
        .onMessage(Pause.class, m -> withLoop(m.generation(), RankTraining::requestPause))
        .onMessage(Resume.class, m -> withLoop(m.generation(), RankTraining::resume))
        .onMessage(LoopEnded.class, this::onLoopEnded)
        .onMessage(ShardWritten.class, this::onShardWritten)
        .onMessage(ReportProgress.class, m -> onReportProgress())
        .onSignal(PostStop.class, s -> onPostStop())
        .build();
  }

  private Behavior<Command> onIntroduce(Introduce m) {
    m.coordinator().tell(new WorkerEvent.Registered(getContext().getSelf(), node, localIndex,
        dataPlane.endpoint(), dataPlane.replicaEndpoint(), lastWorld));
    return this;
  }

  private Behavior<Command> onAssign(Assign a) {
    lastWorld = new WorkerEvent.RestartPoint(a.generation(), a.checkpointDir(), a.weightsOnly());
    newestAssigned = Math.max(newestAssigned, a.generation());
    if (running) {
      // One loop at a time: stop the old generation's, start this one when it has ended.
      pending = a;
      RankTraining l = loop;
      if (l != null) {
        // Off this thread: the abort tells the world's peers and waits (up to 2 s) for their
        // acknowledgements before it closes its sockets.
        long newer = a.generation();
        CompletableFuture.runAsync(() -> l.abort(newer), blocking).whenComplete((v, e) -> {
          if (e != null) {
            org.slf4j.LoggerFactory.getLogger(GpuWorker.class).warn(
                "aborting the running loop for generation {} failed: {}", newer, e.toString());
          }
        });
      } else {
        // A loop being built may be joining its world, waiting for a peer that is gone: it gives
        // up now rather than at the exchange timeout (if it joins first, the check after its
        // construction aborts it).
        dataPlane.abandonJoinsBefore(a.generation());
      }
      return this;
    }
    return start(a);
  }

  private Behavior<Command> start(Assign a) {
    running = true;
    coordinator = a.coordinator();
    ActorRef<DataLoader.StreamOpened> reply =
        getContext().messageAdapter(DataLoader.StreamOpened.class, o -> new StreamReady(a, o));
    loader.tell(new DataLoader.OpenStream(a.rank(), a.worldSize(), a.generation(),
        a.startStep() + 1, a.startPosition(), reply));
    return this;
  }

  private Behavior<Command> onStreamReady(StreamReady m) {
    Assign a = m.assign();
    if (pending != null) {
      // A newer world was assigned while this one's stream was being opened: skip this one.
      running = false;
      Assign next = pending;
      pending = null;
      return start(next);
    }
    // Hold about two steps of micro-batches locally; the loader prefetches behind that.
    int perStep = Math.max(1, cfg.globalTrainBatchSize() / a.worldSize()
        / Math.max(1, cfg.deviceTrainMicrobatchSize()));
    var queue = m.opened().microBatches(2 * perStep)
        .runWith(Sink.queue(), Materializer.matFromSystem(getContext().getSystem()));
    CompletableFuture<Long> run = CompletableFuture.supplyAsync(() -> {
      try (RankTraining l = new RankTraining(cfg, a, dataPlane, queue, shards)) {
        loop = l;
        long newer = newestAssigned;
        if (newer > a.generation()) {
          l.abort(newer); // assigned while this loop was being built: it ends before a step
        }
        return l.run();
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException(e.getMessage(), e);
      }
    }, blocking);
    RUNNING.add(run);
    run.whenComplete((last, failure) -> RUNNING.remove(run));
    getContext().pipeToSelf(run, (last, failure) -> new LoopEnded(a, last, failure));
    timers.startTimerWithFixedDelay(new ReportProgress(), PROGRESS_INTERVAL);
    return this;
  }

  /** Reads the loop's progress here, so a rank whose thread is stuck is still reported. */
  private Behavior<Command> onReportProgress() {
    RankTraining l = loop;
    if (l != null && coordinator != null) {
      coordinator.tell(l.progress());
    }
    return this;
  }

  private Behavior<Command> onShardWritten(ShardWritten m) {
    Checkpointer.ShardWritten w = m.written();
    // The stall: the hand-off, plus what the next update waited for the copy (RankTraining).
    double waited = shards.snapshots().release(w);
    if (coordinator != null) {
      coordinator.tell(new WorkerEvent.ShardSaved(w.generation(), w.rank(), w.step(), w.file(),
          w.writeSeconds(), w.stallSeconds() + waited, w.error()));
    }
    return this;
  }

  private Behavior<Command> onSaveNow(SaveNow m) {
    RankTraining l = loop;
    if (l != null) {
      l.requestCheckpoint();
    }
    return this;
  }

  private Behavior<Command> withLoop(long generation, java.util.function.Consumer<RankTraining> action) {
    RankTraining l = loop;
    if (l != null && lastWorld != null && lastWorld.generation() == generation) {
      action.accept(l);
    }
    return this;
  }

  private Behavior<Command> onCommitted(Committed m) {
    if (lastWorld != null && lastWorld.generation() == m.generation()) {
      lastWorld = new WorkerEvent.RestartPoint(m.generation(), m.dir(), false);
    }
    return this;
  }

  private Behavior<Command> onAbort(Abort m) {
    RankTraining l = loop;
    if (l != null) {
      l.abort(m.newGeneration());
    }
    return this;
  }

  private Behavior<Command> onLoopEnded(LoopEnded m) {
    Assign a = m.assign();
    String error = null;
    boolean fatal = false;
    if (m.failure() != null) {
      Throwable t = m.failure() instanceof java.util.concurrent.CompletionException
          && m.failure().getCause() != null ? m.failure().getCause() : m.failure();
      error = t.getMessage() == null ? t.toString() : t.getMessage();
      fatal = t instanceof TrainingDivergedException || t instanceof DataException;
      getContext().getLog().warn("rank {} of generation {} stopped: {}", a.rank(), a.generation(), error);
    }
    loop = null;
    running = false;
    timers.cancel(new ReportProgress());
    a.coordinator().tell(new WorkerEvent.Stopped(a.generation(), a.rank(),
        m.lastStep() == null ? -1 : m.lastStep(), error, fatal));
    if (pending != null) {
      Assign next = pending;
      pending = null;
      return start(next);
    }
    return this;
  }

  /** Waits (bounded) until the training loops of this JVM have ended, e.g. before it exits. */
  public static void awaitLoops(java.time.Duration timeout) {
    CompletableFuture<?>[] loops = RUNNING.toArray(new CompletableFuture<?>[0]);
    try {
      CompletableFuture.allOf(loops).handle((v, e) -> null)
          .get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      // Timed out or interrupted: the caller exits anyway.
    }
  }

  private Behavior<Command> onPostStop() {
    if (loop != null) {
      loop.abort(Long.MAX_VALUE);
    }
    dataPlane.close();
    return this;
  }
}
