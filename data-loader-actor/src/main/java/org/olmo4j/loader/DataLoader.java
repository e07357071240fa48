package org.olmo4j.loader;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SourceRef;
import org.apache.pekko.stream.StreamRefAttributes;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.StreamRefs;
import org.olmo4j.cluster.ClusterMessage;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.train.TrainData;

/**
 * A node's data loader: maps the run's token files once and streams each worker that asks its
 * rank's micro-batches, step after step, with bounded prefetch (StreamRefs, so the worker may be on
 * another node). Streams are infinite; the worker cancels its stream when done. Opening a stream
 * of a newer generation fails every stream of an older one still open here, and a request of an
 * older generation than one already seen gets a failed stream. Invalid requests (e.g. a world size
 * that does not divide the global batch) and data errors fail the stream with the reason.
 */
public final class DataLoader extends AbstractBehavior<DataLoader.Command> {

  public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "olmo4j-data-loader");

  static final String PREFETCH_KEY = "olmo4j.data-loader.prefetch-steps";
  static final String READ_DISPATCHER = "olmo4j.data-loader.read-dispatcher";

  public sealed interface Command extends ClusterMessage {}

  /**
   * Rank {@code rank} of a world of {@code worldSize} (generation {@code generation}) asks for its
   * micro-batches of steps fromStep, fromStep+1, … where step fromStep starts at global position
   * fromPosition.
   */
  public record OpenStream(int rank, int worldSize, long generation, long fromStep, long fromPosition,
      ActorRef<StreamOpened> replyTo) implements Command {}

  /** The stream of rank {@code rank}; a failed stream carries the reason a request was refused. */
  public record StreamOpened(int rank, long generation, SourceRef<MicroBatch> source)
      implements ClusterMessage {

    /**
     * The micro-batches, holding at most {@code receiveBuffer} of them on the receiving side (a
     * SourceRef otherwise eagerly buffers {@code pekko.stream.materializer.stream-ref.buffer-capacity}).
     */
    public Source<MicroBatch, NotUsed> microBatches(int receiveBuffer) {
      return source.getSource().addAttributes(StreamRefAttributes.bufferCapacity(receiveBuffer));
    }
  }

  /** Stops the loader: open streams fail, the files are closed. */
  public record Stop() implements Command {}

  private record StreamEnded(int rank, long id, String failure) implements Command {}

  private record OpenedStream(long generation, long id, UniqueKillSwitch killSwitch) {}

  private final TrainData data;
  private final TrainConfig cfg;
  private final int prefetchSteps;
  private final Executor readExecutor;
  private final LongAdder stepsRead;
  private final Materializer materializer;
  private final Map<Integer, OpenedStream> streams = new HashMap<>();
  private long generation = Long.MIN_VALUE;
  private long nextId;

  /** Registers itself with the Receptionist under KEY; opens the data of {@code cfg}. */
  public static Behavior<Command> create(TrainConfig cfg) {
    return create(cfg, new LongAdder());
  }

  /** As {@link #create(TrainConfig)}, counting the steps read by all streams in {@code stepsRead}. */
  static Behavior<Command> create(TrainConfig cfg, LongAdder stepsRead) {
    return Behaviors.setup(ctx -> new DataLoader(ctx, cfg, stepsRead));
  }

  private DataLoader(ActorContext<Command> ctx, TrainConfig cfg, LongAdder stepsRead) {
    super(ctx);
    this.cfg = cfg;
    this.stepsRead = stepsRead;
    this.prefetchSteps = ctx.getSystem().settings().config().getInt(PREFETCH_KEY);
    this.readExecutor = ctx.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(READ_DISPATCHER));
    this.materializer = Materializer.matFromSystem(ctx.getSystem());
    this.data = TrainData.open(cfg);
    ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
    ctx.getLog().info("data loader ready: {} instances, {} steps per epoch, prefetch {} steps",
        data.numInstances(), data.stepsPerEpoch(), prefetchSteps);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(OpenStream.class, this::onOpenStream)
        .onMessage(StreamEnded.class, this::onStreamEnded)
        .onMessage(Stop.class, m -> Behaviors.stopped())
        .onSignal(PostStop.class, s -> onPostStop())
        .build();
  }

  private Behavior<Command> onOpenStream(OpenStream m) {
    if (m.generation() < generation) {
      refuse(m, "generation " + m.generation() + " of rank " + m.rank()
          + " is older than generation " + generation + " already streaming on this node");
      return this;
    }
    if (m.generation() > generation) {
      generation = m.generation();
      streams.values().forEach(s -> s.killSwitch().abort(new IllegalStateException(
          "stream of generation " + s.generation() + " superseded by generation " + generation)));
    }
    OpenedStream previous = streams.remove(m.rank());
    if (previous != null && previous.generation() == generation) {
      previous.killSwitch().abort(new IllegalStateException(
          "stream of rank " + m.rank() + " reopened in generation " + generation));
    }
    RankShare share;
    try {
      share = new RankShare(m.rank(), m.worldSize(), m.fromStep(), m.fromPosition(),
          cfg.globalTrainBatchSize(), cfg.deviceTrainMicrobatchSize());
    } catch (IllegalArgumentException e) {
      refuse(m, e.getMessage());
      return this;
    }
    long id = nextId++;
    Pair<Pair<UniqueKillSwitch, CompletionStage<Done>>, SourceRef<MicroBatch>> run =
        MicroBatchSource.of(data, share, prefetchSteps, readExecutor, stepsRead)
            .viaMat(KillSwitches.single(), Keep.right())
            .watchTermination(Keep.both())
            .toMat(StreamRefs.sourceRef(), Keep.both())
            .run(materializer);
    streams.put(m.rank(), new OpenedStream(m.generation(), id, run.first().first()));
    getContext().pipeToSelf(run.first().second(),
        (done, failure) -> new StreamEnded(m.rank(), id, failure == null ? null : failure.getMessage()));
    getContext().getLog().info("opened stream of rank {}/{} generation {} from step {} (position {}), "
        + "{} micro-batches per step", m.rank(), m.worldSize(), m.generation(), m.fromStep(),
        m.fromPosition(), share.count());
    m.replyTo().tell(new StreamOpened(m.rank(), m.generation(), run.second()));
    return this;
  }

  private void refuse(OpenStream m, String reason) {
    getContext().getLog().error("refused stream of rank {} generation {}: {}", m.rank(), m.generation(), reason);
    SourceRef<MicroBatch> failed = Source.<MicroBatch>failed(new IllegalArgumentException(reason))
        .runWith(StreamRefs.sourceRef(), materializer);
    m.replyTo().tell(new StreamOpened(m.rank(), m.generation(), failed));
  }

  private Behavior<Command> onStreamEnded(StreamEnded m) {
    OpenedStream s = streams.get(m.rank());
    if (s != null && s.id() == m.id()) {
      streams.remove(m.rank());
    }
    if (m.failure() != null) {
      getContext().getLog().warn("stream of rank {} failed: {}", m.rank(), m.failure());
    } else {
      getContext().getLog().info("stream of rank {} ended", m.rank());
    }
    return this;
  }

  private Behavior<Command> onPostStop() {
    streams.values().forEach(s -> s.killSwitch().abort(new IllegalStateException("data loader stopped")));
    streams.clear();
    data.close();
    return this;
  }
}
