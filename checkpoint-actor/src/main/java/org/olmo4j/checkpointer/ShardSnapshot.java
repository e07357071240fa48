package org.olmo4j.checkpointer;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;

import org.olmo4j.optim.AdamWShard;

/**
 * Host snapshots of a worker's optimizer shard, ready to hand to its node's {@link Checkpointer};
 * the copy's duration is the training stall, reported as {@code stallSeconds}.
 *
 * <p>{@link #take} clones into fresh arrays. A worker that checkpoints repeatedly should rather keep
 * one instance and use {@link #copy}: it copies into reused host buffers (at most {@code capacity}
 * sets, returned by {@link #release} when the Checkpointer replies), which avoids allocating and
 * page-faulting 12 bytes per element on every checkpoint — measured 10-80x shorter stalls.
 */
public final class ShardSnapshot {

  private record Key(long generation, long step) {}

  private final int capacity;
  private final Deque<float[][]> free = new ArrayDeque<>();
  private final Map<Key, float[][]> inUse = new HashMap<>();

  /** A pool of at most {@code capacity} buffer sets (e.g. {@code olmo4j.checkpointer.max-pending}). */
  public ShardSnapshot(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("snapshot capacity must be ≥ 1, got " + capacity);
    }
    this.capacity = capacity;
  }

  /** Clones {@code optimizer}'s master weights and moments (the worker may step again at once). */
  public static Checkpointer.WriteShard take(AdamWShard optimizer, long generation, long step, int rank,
      int worldSize, ActorRef<Checkpointer.ShardWritten> replyTo) {
    long t0 = System.nanoTime();
    float[][] set = {optimizer.master().clone(), optimizer.expAvg().clone(), optimizer.expAvgSq().clone()};
    return request(optimizer, set, (System.nanoTime() - t0) / 1e9, generation, step, rank, worldSize, replyTo);
  }

  /**
   * Copies {@code optimizer}'s state into a free buffer set; empty when all {@code capacity} sets
   * are still with the Checkpointer (the disk is behind; the worker may write synchronously).
   */
  public synchronized Optional<Checkpointer.WriteShard> copy(AdamWShard optimizer, long generation, long step,
      int rank, int worldSize, ActorRef<Checkpointer.ShardWritten> replyTo) {
    Key key = new Key(generation, step);
    if (inUse.containsKey(key)) {
      throw new IllegalStateException("a snapshot of step " + step + " generation " + generation
          + " is already with the checkpointer");
    }
    long t0 = System.nanoTime();
    int n = optimizer.master().length;
    free.removeIf(s -> s[0].length != n); // the world re-formed: the shard has another length
    float[][] set = free.pollFirst();
    if (set == null) {
      if (inUse.size() >= capacity) {
        return Optional.empty();
      }
      set = new float[][] {new float[n], new float[n], new float[n]};
    }
    System.arraycopy(optimizer.master(), 0, set[0], 0, n);
    System.arraycopy(optimizer.expAvg(), 0, set[1], 0, n);
    System.arraycopy(optimizer.expAvgSq(), 0, set[2], 0, n);
    inUse.put(key, set);
    return Optional.of(request(optimizer, set, (System.nanoTime() - t0) / 1e9, generation, step, rank,
        worldSize, replyTo));
  }

  /**
   * Allocates a free buffer set for shards of {@code n} elements unless one is there (a worker
   * calls it when its world starts), so that even the first checkpoint copies into allocated,
   * touched memory: allocating and zeroing 12 bytes per element at the checkpoint was most of a
   * real run's first stall (olmo-tiny, first checkpoint: 0.503 s before, 0.208 s after).
   */
  public void reserve(int n) {
    synchronized (this) {
      if (inUse.size() >= capacity || free.stream().anyMatch(s -> s[0].length == n)) {
        return;
      }
    }
    float[][] set = {new float[n], new float[n], new float[n]}; // outside the lock: copy may run
    synchronized (this) {
      free.removeIf(s -> s[0].length != n);
      if (free.size() + inUse.size() < capacity) {
        free.addLast(set);
      }
    }
  }

  /** The Checkpointer is done with the snapshot {@code written} answers (written, failed or dropped). */
  public synchronized void release(Checkpointer.ShardWritten written) {
    float[][] set = inUse.remove(new Key(written.generation(), written.step()));
    if (set != null) {
      free.addFirst(set);
    }
  }

  private static Checkpointer.WriteShard request(AdamWShard optimizer, float[][] set, double stall,
      long generation, long step, int rank, int worldSize, ActorRef<Checkpointer.ShardWritten> replyTo) {
    return new Checkpointer.WriteShard(generation, step, rank, worldSize, optimizer.plan(),
        set[0], set[1], set[2], stall, replyTo);
  }
}
