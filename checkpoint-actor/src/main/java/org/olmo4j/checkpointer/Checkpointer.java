package org.olmo4j.checkpointer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
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
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.olmo4j.checkpoint.CheckpointStore;
import org.olmo4j.cluster.ClusterMessage;
import org.olmo4j.model.ShardPlan;

/**
 * A node's checkpoint writer: its workers hand it a host snapshot of their shard and go on
 * training while it writes the shard into {@code save_folder/stepN.gG.tmp/} (fsynced) and replies
 * {@link ShardWritten}; the Coordinator commits the step when every rank's shard is written.
 *
 * <p>Writes run one at a time, in arrival order, on {@code olmo4j.checkpointer.dispatcher} (one
 * disk: concurrent writes only compete). A rank may have at most {@code olmo4j.checkpointer.max-pending}
 * snapshots here (being written or queued); beyond that the request is refused with an error
 * rather than memory growing without bound, and the worker may write synchronously instead. A
 * request of a newer generation (the world re-formed) drops every queued write of an older one
 * with an error reply, and requests of an older generation are refused; a write already running
 * completes. A failed write replies with an error naming the file and the Checkpointer carries on.
 */
public final class Checkpointer extends AbstractBehavior<Checkpointer.Command> {

  public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "olmo4j-checkpointer");

  static final String MAX_PENDING_KEY = "olmo4j.checkpointer.max-pending";
  static final String DISPATCHER = "olmo4j.checkpointer.dispatcher";

  /** Node-local protocol: {@link WriteShard} carries host arrays and never crosses the network. */
  public sealed interface Command {}

  /**
   * Write rank {@code rank}'s shard {@code [rangeStart, rangeEnd)} of step {@code step}. The arrays
   * are the worker's private snapshot: the Checkpointer owns them from now on and drops them once
   * written. {@code stallSeconds} is what taking the snapshot cost the training loop.
   */
  public record WriteShard(long generation, long step, int rank, int worldSize, ShardPlan plan,
      float[] master, float[] expAvg, float[] expAvgSq, double stallSeconds,
      ActorRef<ShardWritten> replyTo) implements Command {}

  /** The shard is durable in {@code file} ({@code error} null), or why it is not (naming the file). */
  public record ShardWritten(long generation, long step, int rank, String file, long bytes,
      double writeSeconds, double stallSeconds, String error) implements ClusterMessage {

    public boolean ok() {
      return error == null;
    }
  }

  private record Written(WriteShard request, String file, long bytes, double seconds, String error)
      implements Command {}

  private final CheckpointStore store;
  private final Executor executor;
  private final int maxPending;
  private final Deque<WriteShard> queue = new ArrayDeque<>();
  private WriteShard writing;
  private long newestGeneration = Long.MIN_VALUE;

  /** Writes into {@code saveFolder}; registers itself with the Receptionist under {@link #KEY}. */
  public static Behavior<Command> create(Path saveFolder) {
    return Behaviors.setup(ctx -> new Checkpointer(ctx, saveFolder));
  }

  private Checkpointer(ActorContext<Command> ctx, Path saveFolder) {
    super(ctx);
    this.store = new CheckpointStore(saveFolder);
    this.maxPending = ctx.getSystem().settings().config().getInt(MAX_PENDING_KEY);
    if (maxPending < 1) {
      throw new IllegalArgumentException(MAX_PENDING_KEY + " must be ≥ 1, got " + maxPending);
    }
    this.executor = ctx.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(DISPATCHER));
    ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
    ctx.getLog().info("checkpointer ready: writing into {}, at most {} pending snapshots per rank",
        saveFolder, maxPending);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(WriteShard.class, this::onWriteShard)
        .onMessage(Written.class, this::onWritten)
        .onSignal(PostStop.class, s -> onPostStop())
        .build();
  }

  private Behavior<Command> onWriteShard(WriteShard m) {
    if (m.generation() < newestGeneration) {
      refuse(m, "generation " + m.generation() + " is older than generation " + newestGeneration
          + " already seen on this node (the world re-formed)");
      return this;
    }
    if (m.generation() > newestGeneration) {
      newestGeneration = m.generation();
      dropQueuedBefore(newestGeneration);
    }
    int pending = pendingOf(m.rank());
    if (pending >= maxPending) {
      refuse(m, "rank " + m.rank() + " already has " + pending + " snapshots waiting to be written ("
          + MAX_PENDING_KEY + " = " + maxPending + "): the disk is slower than the save interval");
      return this;
    }
    queue.addLast(m);
    startNext();
    return this;
  }

  private void dropQueuedBefore(long generation) {
    for (Iterator<WriteShard> it = queue.iterator(); it.hasNext(); ) {
      WriteShard q = it.next();
      if (q.generation() < generation) {
        it.remove();
        refuse(q, "dropped before writing: generation " + q.generation() + " was superseded by generation "
            + generation + " (the world re-formed)");
      }
    }
  }

  private int pendingOf(int rank) {
    int n = writing != null && writing.rank() == rank ? 1 : 0;
    for (WriteShard q : queue) {
      n += q.rank() == rank ? 1 : 0;
    }
    return n;
  }

  private void startNext() {
    if (writing != null || queue.isEmpty()) {
      return;
    }
    WriteShard w = queue.pollFirst();
    writing = w;
    getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> write(w), executor),
        (done, failure) -> done != null ? done
            : new Written(w, target(w).toString(), 0, 0, "writing " + target(w) + " failed: " + failure));
  }

  /** Runs on the dispatcher: the shard file, fsynced; never throws. */
  private Written write(WriteShard w) {
    Path file = target(w);
    long t0 = System.nanoTime();
    try {
      store.writeShard(w.step(), w.generation(), w.rank(), w.worldSize(), w.plan(), w.master(), w.expAvg(),
          w.expAvgSq());
      return new Written(w, file.toString(), Files.size(file), (System.nanoTime() - t0) / 1e9, null);
    } catch (Exception e) {
      String why = e.getMessage() == null ? e.getClass().getSimpleName()
          : e.getClass().getSimpleName() + ": " + e.getMessage();
      removePartial(file);
      return new Written(w, file.toString(), 0, (System.nanoTime() - t0) / 1e9,
          "writing " + file + " failed: " + why);
    }
  }

  /** A partial shard only takes space (on a full disk, the space the next checkpoint needs). */
  private void removePartial(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (Exception e) {
      getContext().getLog().debug("could not remove the partial shard {}: {}", file, e.toString());
    }
  }

  private Path target(WriteShard w) {
    return store.tmpDir(w.step(), w.generation()).resolve(CheckpointStore.shardFileName(w.rank(), w.worldSize()));
  }

  private Behavior<Command> onWritten(Written d) {
    WriteShard w = d.request();
    writing = null;
    if (d.error() == null) {
      double seconds = Math.max(d.seconds(), 1e-9);
      // The training stall is the coordinator's to report (with the commit): an asynchronous
      // snapshot's stall is only known when the next optimizer update has waited for it.
      getContext().getLog().info("wrote shard of rank {} step {}: {} in {} s ({} MB/s)", w.rank(),
          w.step(), String.format("%.1f MB", d.bytes() / 1e6), String.format("%.3f", d.seconds()),
          String.format("%.0f", d.bytes() / 1e6 / seconds));
    } else {
      // The coordinator logs the failed checkpoint once for all ranks (the user's one line).
      getContext().getLog().debug("shard of rank {} step {}: {}", w.rank(), w.step(), d.error());
    }
    w.replyTo().tell(new ShardWritten(w.generation(), w.step(), w.rank(), d.file(), d.bytes(), d.seconds(),
        w.stallSeconds(), d.error()));
    startNext();
    return this;
  }

  private void refuse(WriteShard m, String reason) {
    String error = "shard of rank " + m.rank() + " step " + m.step() + " (" + target(m) + ") not written: "
        + reason;
    getContext().getLog().warn(error);
    m.replyTo().tell(new ShardWritten(m.generation(), m.step(), m.rank(), target(m).toString(), 0, 0,
        m.stallSeconds(), error));
  }

  private Behavior<Command> onPostStop() {
    queue.forEach(q -> refuse(q, "the checkpointer stopped"));
    queue.clear();
    return this;
  }
}
