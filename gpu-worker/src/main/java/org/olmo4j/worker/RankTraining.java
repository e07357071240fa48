package org.olmo4j.worker;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.stream.javadsl.SinkQueueWithCancel;
import org.olmo4j.checkpoint.CheckpointStore;
import org.olmo4j.checkpointer.Checkpointer;
import org.olmo4j.checkpointer.ShardSnapshot;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.data.DataException;
import org.olmo4j.exchange.ExchangeOptions;
import org.olmo4j.loader.MicroBatch;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.model.OlmoModel;
import org.olmo4j.optim.AdamWShard;
import org.olmo4j.train.Batch;
import org.olmo4j.train.ShardGroups;
import org.olmo4j.train.TrainCheckpoints;
import org.olmo4j.train.TrainLoop;
import org.olmo4j.train.ProcessMemory;
import org.olmo4j.train.TrainStep;

/**
 * One rank's training for one generation, run on a blocking dispatcher: build the model and its
 * ZeRO shard, join the data plane, then run the {@link TrainLoop} until max steps with this
 * rank's hooks: each step reported to the coordinator, its shard to the Checkpointer, its share
 * of in-loop eval. No coordinator round trip inside the loop.
 */
final class RankTraining implements TrainLoop.Hooks, AutoCloseable {

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RankTraining.class);
  /** Copies checkpoint snapshots off the training thread (one thread per copy in flight). */
  private static final ExecutorService SNAPSHOT_COPIES = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "olmo4j-snapshot-copy");
    t.setDaemon(true);
    return t;
  });
  /** How long close waits for the exchange's threads (they stop within ms once sockets close). */
  private static final Duration IDLE_WAIT = Duration.ofSeconds(10);

  private final TrainConfig cfg;
  private final GpuWorker.Assign assign;
  private final SinkQueueWithCancel<MicroBatch> batches;
  private final ActorRef<WorkerEvent> events;
  private final NDManager manager;
  private final OlmoModel model;
  private final AdamWShard optimizer;
  private final CheckpointStore store;
  /** This rank's world, or under HYBRID_SHARD its shard group and its replica group. */
  private final DataPlaneServers.Joined exchange;
  private final ShardGroups groups;
  private final CollectiveClock collectives;
  private final TrainStep zero;
  private final EvalShare eval;
  private final TrainLoop loop;
  /** What the loop's thread is doing, for the worker's progress reports. */
  private volatile long currentStep;
  private volatile WorkerEvent.RankPhase phase = WorkerEvent.RankPhase.STEP;

  /** Where shards go: the node's Checkpointer, fed from a pool of host snapshots. */
  record ShardSink(ActorRef<Checkpointer.Command> checkpointer, ShardSnapshot snapshots,
      ActorRef<Checkpointer.ShardWritten> replyTo) {}

  private final ShardSink shards;
  /** Step {@code aheadStep}'s micro-batches, read before the step before it ran (-1: none). */
  private List<Batch> ahead;
  private long aheadStep = -1;

  RankTraining(TrainConfig cfg, GpuWorker.Assign assign, DataPlaneServers dataPlane,
      SinkQueueWithCancel<MicroBatch> batches, ShardSink shards) {
    this.cfg = cfg;
    this.shards = shards;
    this.assign = assign;
    this.batches = batches;
    this.events = assign.coordinator();
    this.eval = new EvalShare(cfg, assign);
    this.manager = NDManager.newBaseManager();
    this.model = TrainStep.model(cfg, manager);
    FlatLayout layout = model.layout();
    this.groups = assign.groups();
    this.optimizer = new AdamWShard(layout, TrainStep.plan(cfg, groups, assign.rank()),
        cfg.optimizer());
    this.store = new CheckpointStore(Path.of(cfg.saveFolder()));
    if (assign.checkpointDir() == null) {
      TrainCheckpoints.initShard(cfg, layout, optimizer);
    } else {
      TrainCheckpoints.loadShard(new TrainCheckpoints.ResumePoint(Path.of(assign.checkpointDir()),
          null, assign.weightsOnly()), layout, optimizer);
    }
    ExchangeOptions options = ExchangeOptions.DEFAULTS.withTimeout(
        Duration.ofSeconds(cfg.cluster().exchangeTimeoutSeconds()));
    HaltBeforeJoin.apply(assign.generation(), assign.rank());
    this.exchange = join(dataPlane, options);
    this.collectives = new CollectiveClock(exchange.group());
    this.zero = TrainStep.create(cfg, model, optimizer, collectives,
        exchange.replicas() == null ? null : collectives.alongside(exchange.replicas()));
    this.currentStep = assign.startStep();
    this.loop = new TrainLoop(cfg, assign.maxSteps(), zero, s -> {
      currentStep = s;
      phase = WorkerEvent.RankPhase.STEP;
      List<Batch> micro = microBatchesOf(s);
      StepDelay.apply();
      StuckRank.apply(s, assign.rank());
      return micro;
    });
    zero.publishParameters();
    collectives.lap(0); // the world's first all-gather belongs to no step
    // Off this thread: the first checkpoint then copies into memory allocated meanwhile.
    int shardLength = optimizer.master().length;
    CompletableFuture.runAsync(() -> shards.snapshots().reserve(shardLength));
    events.tell(new WorkerEvent.Ready(assign.generation(), assign.rank(),
        12L * optimizer.master().length, optimizer.master().length));
  }

  private DataPlaneServers.Joined join(DataPlaneServers dataPlane, ExchangeOptions options) {
    try {
      return dataPlane.join(assign, options);
    } catch (Exception e) {
      model.close();
      manager.close();
      throw new IllegalStateException("rank " + assign.rank() + " could not join the data plane of "
          + "generation " + assign.generation() + ": " + e.getMessage(), e);
    }
  }

  /** Steps from the assigned start to max steps; returns the last completed step. */
  long run() throws Exception {
    return loop.run(assign.startStep(), assign.maxSteps(), this);
  }

  @Override
  public void stepDone(TrainLoop.Done done) {
    TrainStep.Outcome o = done.outcome();
    double waited = collectives.lap(o.exchangeSeconds());
    events.tell(new WorkerEvent.StepDone(assign.generation(), assign.rank(), done.step(), o.loss(),
        o.zLoss(), done.lr(), o.gradNorm(), o.clipCoefficient(), cfg.tokensPerStep(),
        done.seconds(), o.computeSeconds() + o.exchangeSeconds() - waited,
        waited, o.optimizerSeconds(), ProcessMemory.rssBytes(), o.maskedInstances(),
        o.collectiveSeconds()));
  }

  @Override
  public boolean evalDue(long step) {
    return eval.due(step);
  }

  @Override
  public void evaluate(long step) {
    phase = WorkerEvent.RankPhase.EVAL;
    events.tell(eval.score(model, step));
  }

  @Override
  public void paused(long step) {
    phase = WorkerEvent.RankPhase.PAUSED;
    events.tell(new WorkerEvent.Paused(assign.generation(), assign.rank(), step));
  }

  /** Where this rank is now; read on the worker's thread while the loop runs on its own. */
  WorkerEvent.Progress progress() {
    return new WorkerEvent.Progress(assign.generation(), assign.rank(), currentStep, phase,
        collectives.entered(), collectives.inside());
  }

  /**
   * Hands a host copy of the shard to the node's Checkpointer and goes on training; writes it
   * here (a stall) only when every snapshot buffer is still with the Checkpointer.
   */
  @Override
  public void saveCheckpoint(long step) {
    if (!groups.writesShards(assign.rank())) {
      return; // HYBRID_SHARD: replica 0's shard group writes the pieces every replica holds
    }
    phase = WorkerEvent.RankPhase.CHECKPOINT;
    int fileRank = groups.shardRank(assign.rank()); // = the world rank for replica 0
    int files = groups.groupSize();
    long generation = assign.generation();
    var copying = shards.snapshots().copyAsync(optimizer, generation, step, fileRank, files,
        shards.replyTo(), SNAPSHOT_COPIES);
    if (copying.isPresent()) {
      // The copy runs beside the next step's forward and backward; its optimizer update waits.
      optimizer.holdUntil(copying.get(),
          waited -> shards.snapshots().waited(generation, step, waited));
      copying.get().whenComplete((request, failure) -> {
        if (request != null) {
          shards.checkpointer().tell(request);
        } else {
          shards.snapshots().abandon(generation, step);
          events.tell(new WorkerEvent.ShardSaved(generation, assign.rank(), step, "", 0, 0,
              "copying the shard of step " + step + " failed: " + failure));
        }
      });
      return;
    }
    long w0 = System.nanoTime();
    Path file = store.tmpDir(step, assign.generation()).resolve(
        CheckpointStore.shardFileName(fileRank, files));
    String error = null;
    try {
      store.writeShard(step, assign.generation(), fileRank, files, optimizer.plan(),
          optimizer.master(), optimizer.expAvg(), optimizer.expAvgSq());
    } catch (IOException e) {
      // A full disk or an I/O error fails this checkpoint, not the rank: training goes on and
      // the next save_interval tries again, as when the Checkpointer's write fails.
      error = "writing " + file + " failed: " + e.getClass().getSimpleName() + ": " + e.getMessage();
      removePartial(file);
    }
    double seconds = (System.nanoTime() - w0) / 1e9;
    events.tell(new WorkerEvent.ShardSaved(assign.generation(), assign.rank(), step,
        file.toString(), seconds, seconds, error));
  }

  private static void removePartial(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      log.debug("could not remove the partial shard {}: {}", file, e.toString());
    }
  }

  /**
   * This rank's micro-batches of step {@code s}; reads step {@code s + 1}'s ahead, so that a rank
   * whose next data cannot be read votes with step {@code s} that every rank checkpoints it and
   * stops: nothing trained is lost, and the run ends naming the file.
   */
  private List<Batch> microBatchesOf(long s) throws Exception {
    List<Batch> micro = aheadStep == s ? ahead : pull(s);
    ahead = null;
    aheadStep = -1;
    if (s < assign.maxSteps()) {
      try {
        ahead = pull(s + 1);
        aheadStep = s + 1;
      } catch (DataException e) {
        events.tell(new WorkerEvent.DataUnreadable(assign.generation(), assign.rank(), s,
            e.getMessage()));
        loop.requestCheckpointAndStop();
      }
    }
    return micro;
  }

  /** Step {@code s}'s micro-batches as the DataLoader streams them; throws if it could not read them. */
  private List<Batch> pull(long s) throws Exception {
    List<Batch> parts = new ArrayList<>();
    int count = 1;
    while (parts.size() < count) {
      Optional<MicroBatch> next = batches.pull().toCompletableFuture()
          .get(cfg.cluster().exchangeTimeoutSeconds(), TimeUnit.SECONDS);
      MicroBatch mb = next.orElseThrow(() -> new IllegalStateException(
          "the data stream of rank " + assign.rank() + " ended before step " + s));
      if (!mb.readable()) {
        throw new DataException(mb.unreadable());
      }
      if (mb.step() != s) {
        throw new IllegalStateException("rank " + assign.rank() + " expected data of step " + s
            + ", got step " + mb.step());
      }
      count = mb.count();
      parts.add(mb.toBatch());
    }
    return parts;
  }

  /** Every rank checkpoints the next step this rank completes (agreed through the all-reduce). */
  void requestCheckpoint() {
    loop.requestCheckpoint();
  }

  /** Every rank pauses after the next step this rank completes (agreed through the all-reduce). */
  void requestPause() {
    loop.requestPause();
  }

  /** Ends the pause this loop is in, or the next one it enters. */
  void resume() {
    loop.resume();
  }

  /** Makes the loop stop at the next step boundary and fails any collective in flight. */
  void abort(long newGeneration) {
    loop.stop();
    exchange.abort(newGeneration);
  }

  @Override
  public void close() {
    batches.cancel();
    exchange.close();
    // FULL_SHARD's collectives thread writes into the model's unit vectors: it must have stopped
    // (its collectives fail fast once the exchange is closed) before the model frees them.
    if (!zero.awaitCollectivesStopped(IDLE_WAIT)) {
      log.warn("rank {} generation {}: the step's collectives thread still runs {} after close;"
          + " the model and its buffers are left in place", assign.rank(), assign.generation(),
          IDLE_WAIT);
      return;
    }
    model.close();
    manager.close();
    // The step's vectors are freed only once no exchange thread can touch them (and after the
    // model, whose parameters are views of them); else the garbage collector frees them later.
    if (exchange.awaitIdle(IDLE_WAIT)) {
      zero.close();
    } else {
      log.warn("rank {} generation {}: exchange threads still running {} after close; the step's "
          + "buffers are left to the garbage collector", assign.rank(), assign.generation(), IDLE_WAIT);
    }
  }
}
