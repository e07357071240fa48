package org.olmo4j.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.olmo4j.model.Architecture;
import org.olmo4j.model.FlatVector;
import org.olmo4j.model.HeldGradients;
import org.olmo4j.model.OlmoModel;
import org.olmo4j.model.ShardPlan;

/**
 * How a FULL_SHARD step's unit gradients reach the rank's gradient shard: reduce-scattered (fp32,
 * summed over the replicas under HYBRID_SHARD) on the collectives thread straight from autograd's
 * memory, each unit's while the unit below computes its backward; the head's, over several
 * micro-batches, summed first and reduce-scattered once.
 */
final class UnitReductions implements AutoCloseable {

  private final OlmoModel model;
  private final ShardPlan plan;
  private final List<Architecture.Unit> units;
  private final UnitCollectives collectives;
  private final CollectivesThread comm;
  /** This rank's gradient shard: each reduction adds its piece. */
  private final float[] shardGrads;
  /**
   * The gradients the reduction in flight reads where autograd wrote them, and that reduction;
   * null when none is. They are let go once it is done: when the next unit's are queued, or
   * between units when it is found done. So one unit's gradients are held beside the next one's
   * being computed, as a copy into a staging vector held them before (that copy, 4 bytes a
   * parameter per micro-batch on the computing thread, and binding the units took a 237 M
   * model's FULL_SHARD step 0.42 more CPU-seconds than SHARD_GRAD_OP's 9.8 on 2 JVMs).
   */
  private HeldGradients held;
  private Future<?> heldRead;
  /**
   * Gradients held by a reduction a failure left unfinished: exchange threads may still read
   * them, so they go only at {@link #close} (after the collectives thread and the exchange have
   * stopped).
   */
  private final List<HeldGradients> abandoned = new ArrayList<>();
  /**
   * The head's gradient (an untied head's, or the head's part of a tied table's while the
   * embedding is looked up sharded) when a step has several micro-batches: summed over them here
   * and reduce-scattered once, behind the last one's blocks' backward. A reduce-scatter per
   * micro-batch moved the head's V·D fp32 values each time: 206 MB on a 237 M model with a 50 K
   * vocabulary, as much as three of its blocks' gradients (OLMo 2 7B: 1.6 GB, two blocks').
   * The unit whose gradient it holds, -1 when it holds no sum not yet reduced; the head
   * backwards of this step, and its micro-batches.
   */
  private FlatVector headGrads;
  private int headGradsOf = -1;
  private int headBackwards;
  private int microBatches;

  UnitReductions(OlmoModel model, ShardPlan plan, UnitCollectives collectives,
      CollectivesThread comm, float[] shardGrads) {
    this.model = model;
    this.plan = plan;
    this.units = model.architecture().units();
    this.collectives = collectives;
    this.comm = comm;
    this.shardGrads = shardGrads;
  }

  /** Starts a step of {@code microBatches} micro-batches: the gradient shard is zeroed. */
  void startStep(int microBatches) {
    Arrays.fill(shardGrads, 0f);
    this.microBatches = microBatches;
    headBackwards = 0;
  }

  /**
   * Queues the reduce-scatter of unit {@code u}'s gradients into the shard, read where autograd
   * wrote them (they stay after the unit is unbound, until the reduction is done).
   */
  void reduce(int u) {
    long length = units.get(u).range().length();
    if (length == 0) {
      return;
    }
    // One in flight: it ran while this unit computed its backward (a second would only hold
    // another unit's gradients without hiding more).
    release();
    held = model.holdUnitGrads(u);
    heldRead = reduction(held.vector(), u);
  }

  /**
   * The head's gradient, held by unit {@code u} (the head, or a tied table): with one
   * micro-batch, reduced as any unit's; with several, added to the step's sum, which after the
   * last one's head goes to its reduce-scatter.
   */
  void head(int u) {
    if (microBatches <= 1) {
      reduce(u);
      return;
    }
    if (headGrads == null) {
      headGrads = FlatVector.fp32(units.get(u).range().length());
    }
    if (headGradsOf == u) {
      model.addUnitGrads(u, headGrads);
    } else {
      model.takeUnitGrads(u, headGrads); // last step's reduction of it ended with that step
      headGradsOf = u;
    }
    if (++headBackwards == microBatches) {
      reduceHeadGrads();
    }
  }

  /**
   * After the step's micro-batches: queues a head's sum not yet reduced (a later micro-batch
   * gathered a tied table, which then reduced its own part), then waits for every reduction.
   */
  void finishStep() {
    if (headGradsOf >= 0) {
      reduceHeadGrads();
    }
    comm.awaitReductions();
    release();
  }

  /**
   * After a failure, once the collectives thread's reductions are forgotten: lets the held
   * gradients go if their reduction finished, else keeps them until {@link #close}.
   */
  void forget() {
    if (held != null && !finished(heldRead)) {
      abandoned.add(held);
      held = null;
    }
    letGo();
    headGradsOf = -1;
  }

  /** Between units: lets the held gradients go if their reduction is done (no wait). */
  void releaseIfDone() {
    if (held != null && finished(heldRead)) {
      letGo();
    }
  }

  /**
   * Whether {@code read} returned normally: a reduction that failed may have left exchange threads
   * reading its vector (they stop once the exchange is closed and idle).
   */
  private static boolean finished(Future<?> read) {
    if (!read.isDone() || read.isCancelled()) {
      return false;
    }
    try {
      read.get();
      return true;
    } catch (InterruptedException | ExecutionException e) {
      return false;
    }
  }

  /** Waits for the reduction in flight, then lets the gradients it read go. */
  private void release() {
    if (heldRead != null) {
      comm.await(heldRead);
    }
    letGo();
  }

  private void letGo() {
    if (held != null) {
      held.close();
    }
    held = null;
    heldRead = null;
  }

  private void reduceHeadGrads() {
    reduction(headGrads, headGradsOf);
    headGradsOf = -1;
  }

  /** Queues the reduce-scatter of {@code grads}, unit {@code u}'s, into the gradient shard. */
  private Future<?> reduction(FlatVector grads, int u) {
    int at = Math.toIntExact(plan.unitOffset(u));
    return comm.reduce(() -> collectives.reduceAdd(grads, shardGrads, at));
  }

  /** Frees the head's sum and what is held (once the collectives thread has stopped). */
  @Override
  public void close() {
    if (headGrads != null) {
      headGrads.close();
    }
    headGrads = null;
    letGo();
    abandoned.forEach(HeldGradients::close);
    abandoned.clear();
  }
}
