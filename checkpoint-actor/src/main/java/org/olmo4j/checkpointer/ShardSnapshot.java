package org.olmo4j.checkpointer;

import org.apache.pekko.actor.typed.ActorRef;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.optim.AdamWShard;

/** A worker's host snapshot of its optimizer shard, ready to hand to its node's {@link Checkpointer}. */
public final class ShardSnapshot {

  private ShardSnapshot() {}

  /**
   * Copies {@code optimizer}'s master weights and moments (the worker may step again as soon as
   * this returns) into a {@link Checkpointer.WriteShard}; the copy's duration is the training
   * stall, reported as {@code stallSeconds}.
   */
  public static Checkpointer.WriteShard take(AdamWShard optimizer, long generation, long step, int rank,
      int worldSize, ActorRef<Checkpointer.ShardWritten> replyTo) {
    long t0 = System.nanoTime();
    float[] master = optimizer.master().clone();
    float[] expAvg = optimizer.expAvg().clone();
    float[] expAvgSq = optimizer.expAvgSq().clone();
    double stall = (System.nanoTime() - t0) / 1e9;
    FlatLayout.Range r = optimizer.range();
    return new Checkpointer.WriteShard(generation, step, rank, worldSize, r.start(), r.end(),
        master, expAvg, expAvgSq, stall, replyTo);
  }
}
