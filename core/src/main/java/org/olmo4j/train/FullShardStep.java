package org.olmo4j.train;

import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.concurrent.Future;
import org.olmo4j.config.ActivationCheckpointing;
import org.olmo4j.config.Precision;
import org.olmo4j.model.Architecture;
import org.olmo4j.model.LayerwisePass;
import org.olmo4j.model.OlmoModel;
import org.olmo4j.model.ShardPlan;
import org.olmo4j.optim.AdamWShard;
import org.olmo4j.optim.GradClip;

/**
 * One FULL_SHARD (ZeRO-3) optimizer step of one rank: parameters, gradients and AdamW state are
 * all sharded, unit by unit ({@link ShardPlan}); the model runs unit by unit ({@link
 * LayerwisePass}).
 *
 * <p>Before a unit computes, its parameters are all-gathered (fp32) from every rank's piece into
 * the unit's vector; as soon as its backward is done, its gradients are reduce-scattered (fp32)
 * and each rank adds its piece into its gradient shard. The collectives run on one thread of
 * their own ({@link CollectivesThread}), in program order (the same on every rank): the next
 * unit's all-gather is issued before the current unit computes (forward and backward prefetch),
 * and a unit's reduce-scatter runs while the unit below computes its backward. Blocks compute in
 * two slots (block i in slot i mod 2), so the last two blocks of the forward are still present
 * for the first two of the backward; every other block is gathered again. A unit's parameter
 * arrays exist from its gather to the end of its backward, and autograd's gradients until their
 * reduce-scatter, which reads them in place, is done: one block's gradients being computed and
 * one's being reduce-scattered are held.
 *
 * <p>The embedding: when a micro-batch's tokens over the shard group are no more than the
 * table's rows, it is looked up without being gathered ({@link ShardedLookup}) and a tied table
 * is gathered for the head in parts ({@link PartedGather}); otherwise it is gathered, and its
 * values stay from one micro-batch's backward to the next one's forward (a tied table's with its
 * gradient from the head's backward to its own). Over several micro-batches the head's gradient
 * is summed, then reduce-scattered once ({@link UnitReductions}), and an untied head at least as
 * long as a block keeps its values from one micro-batch's head to the next one's when the
 * embedding is looked up sharded.
 *
 * <p>Gradients are reduce-scattered per micro-batch (as FSDP without {@code no_sync}), so the
 * summation order differs from SHARD_GRAD_OP's: losses agree to rounding, not bit for bit. A
 * FULL_SHARD run is bit-identical to itself: resume and recovery at the same world size repeat
 * it exactly.
 */
public final class FullShardStep implements TrainStep {

  private final OlmoModel model;
  private final AdamWShard optimizer;
  /** Every rank: the loss terms, votes and label tokens. */
  private final Collectives collectives;
  /** Each unit's gather and reduce-scatter (over the shard group, and the replicas). */
  private final UnitCollectives unitCollectives;
  /** The embedding's lookup without its gather, for micro-batches where that moves less. */
  private final ShardedLookup lookup;
  private final ShardPlan plan;
  private final List<Architecture.Unit> units;
  private final ActivationCheckpointing checkpointing;
  private final boolean tied;
  private final int dModel;
  private final float[] shardGrads;
  private final CollectivesThread comm;
  private final Hooks hooks;
  /** Which units are present, their gathers in flight or done. */
  private final UnitGathers gathers;
  /** Each unit's gradients into the gradient shard. */
  private final UnitReductions reductions;
  /**
   * An untied head at least as long as a block: after a micro-batch whose embedding was looked
   * up sharded, its gathered values stay to the next one's head (they do not change within a
   * step), as a gathered embedding's do. Held through the blocks, they add less than the head's
   * own values and gradients at its backward (8·E), so the step's peak stays where it was; a
   * shorter head would raise it, and so would a gathered embedding's backward (its values and
   * gradients, 8·E, beside the kept head).
   */
  private final boolean keepHead;
  /** The heads still to compute in this step's micro-batches. */
  private int headsLeft;
  /**
   * The gradients of a micro-batch's embeddings looked up sharded, copied out of autograd for
   * the lookup's backward (kept: T·D floats, 1 MiB or more, would be one of G1's humongous
   * allocations per micro-batch, each of which can start a marking cycle of the whole heap),
   * and that backward while it may still read them.
   */
  private float[] lookupGrads;
  private Future<?> lookupGradsRead;

  public FullShardStep(OlmoModel model, AdamWShard optimizer, Collectives collectives,
      Precision precision, ActivationCheckpointing checkpointing) {
    this(model, optimizer, collectives, collectives, null, precision, checkpointing);
  }

  /**
   * HYBRID_SHARD's step: units are sharded over {@code shard} (a node's ranks: gathers and
   * reduce-scatters stay inside it), and each gradient piece is then summed over {@code
   * replicas} (the ranks holding the same piece, one per shard group) in rank order; {@code
   * world} sums the loss terms. With {@code shard} = {@code world} and no replicas this is
   * FULL_SHARD.
   */
  public FullShardStep(OlmoModel model, AdamWShard optimizer, Collectives world,
      Collectives shard, Collectives replicas, Precision precision,
      ActivationCheckpointing checkpointing) {
    if (!model.unitwise()) {
      throw new IllegalArgumentException("FULL_SHARD needs a unit-by-unit model"
          + " (OlmoModel.createUnitwise)");
    }
    Architecture arch = model.architecture();
    this.model = model;
    this.optimizer = optimizer;
    this.collectives = world;
    this.unitCollectives = new UnitCollectives(shard, replicas, precision == Precision.AMP_BF16);
    this.lookup = new ShardedLookup(unitCollectives, arch.config().dModel(),
        arch.units().get(0).range().length(), precision == Precision.AMP_BF16);
    this.plan = ShardPlan.of(arch, org.olmo4j.config.ShardingStrategy.FULL_SHARD,
        shard.rank(), shard.worldSize());
    if (!plan.pieces().equals(optimizer.plan().pieces())) {
      throw new IllegalArgumentException("the optimizer holds " + optimizer.plan()
          + ", FULL_SHARD rank " + shard.rank() + " of " + shard.worldSize() + " owns " + plan);
    }
    this.units = arch.units();
    this.checkpointing = checkpointing;
    this.tied = arch.config().weightTying();
    this.dModel = arch.config().dModel();
    this.shardGrads = new float[Math.toIntExact(plan.length())];
    this.hooks = new Hooks(false);
    model.useInferenceUnits(new Hooks(true));
    this.comm = new CollectivesThread(world.rank());
    this.reductions = new UnitReductions(model, plan, unitCollectives, comm, shardGrads);
    this.gathers = new UnitGathers(model, plan, comm, unitCollectives, optimizer);
    this.keepHead = !tied
        && units.get(units.size() - 1).range().length() >= units.get(1).range().length();
  }

  @Override
  public Outcome run(List<Batch> microBatches, double zLossMultiplier, long step, double lr,
      Double maxGradNorm, double[] votes) {
    long t0 = System.nanoTime();
    gathers.forget(); // what an evaluation since the last step left present
    comm.resetTimes();
    long labelTokens = 0;
    long masked = 0;
    for (Batch b : microBatches) {
      labelTokens += b.labelTokens();
      masked += b.maskedInstances();
    }
    reductions.startStep(microBatches.size());
    headsLeft = microBatches.size();
    long c0 = System.nanoTime();
    long globalTokens = StepSums.labelTokens(collectives, labelTokens);
    long normaliser = Math.max(1, globalTokens);
    long scalarNanos = System.nanoTime() - c0;
    GradientStep.Result local;
    try {
      local = GradientStep.run(model, microBatches, zLossMultiplier, normaliser, checkpointing,
          hooks);
      reductions.finishStep();
    } catch (RuntimeException | Error e) {
      abandon(e);
      throw e;
    }
    gathers.forget();
    double sumOfSquares = GradClip.sumOfSquares(shardGrads); // compute: before the collectives
    long t1 = System.nanoTime();
    // The shard group's pieces make up the whole gradient once (replicas hold the same pieces).
    StepSums.Loss sums = StepSums.lossAndGradNorm(collectives, unitCollectives.shard(), local,
        masked, votes, normaliser, sumOfSquares, step);
    double gradNorm = sums.gradNorm();
    long t2 = System.nanoTime();
    double clip = maxGradNorm == null ? 1.0 : GradClip.clipCoefficient(gradNorm, maxGradNorm);
    optimizer.step(shardGrads, lr, clip, step);
    long t3 = System.nanoTime();
    double exposed = (comm.waitNanos() + scalarNanos + (t2 - t1)) / 1e9;
    return new Outcome(sums.loss(), sums.zLoss(), gradNorm, clip, globalTokens,
        sums.maskedInstances(), (t1 - t0) / 1e9 - exposed + (t2 - t1) / 1e9, exposed,
        (t3 - t2) / 1e9, sums.votes(), (comm.collectiveNanos() + scalarNanos + (t2 - t1)) / 1e9);
  }

  /**
   * Whether micro-batches of {@code microBatchTokens} tokens over a shard group of {@code
   * shardRanks} look the embedding up without gathering it ({@link ShardedLookup#pays}).
   */
  public static boolean looksUpSharded(int shardRanks, long microBatchTokens, Architecture arch) {
    return ShardedLookup.pays(shardRanks, microBatchTokens,
        arch.units().get(0).range().length() / arch.config().dModel());
  }

  /** Nothing to publish: every unit is gathered from the master shard when it computes. */
  @Override
  public void publishParameters() {}

  @Override
  public boolean awaitCollectivesStopped(java.time.Duration wait) {
    return comm.stop(wait);
  }

  @Override
  public void close() {
    // The buffers the collectives thread uses are freed only once it has stopped; if it has not,
    // they are left to the garbage collector rather than freed under it.
    if (awaitCollectivesStopped(java.time.Duration.ofSeconds(30))) {
      reductions.close();
      unitCollectives.close();
      lookup.close();
    }
  }

  /**
   * The gathers, prefetches and reductions around each unit's compute; for an inference forward
   * (in-loop evaluation), the embedding and the head are released right after they compute.
   */
  private final class Hooks implements LayerwisePass.Units {
    private final int head = units.size() - 1;
    private final boolean inference;
    /** This micro-batch's embedding is looked up without its gather ({@link ShardedLookup}). */
    private boolean sharded;

    Hooks(boolean inference) {
      this.inference = inference;
    }

    @Override
    public LayerwisePass.Lookup lookup(NDArray ids) {
      sharded = !inference
          && looksUpSharded(unitCollectives.shard().worldSize(), ids.size(), model.architecture());
      return sharded ? shardedLookup : null;
    }

    @Override
    public void beforeForward(int u) {
      // The last micro-batch's last reduction ran before this one's first gather (the thread runs
      // in order): its gradients need not be held through this forward.
      reductions.releaseIfDone();
      if (u == 0 && sharded) {
        return; // the lookup issues its exchange, then the prefetches
      }
      if (u == head && tied) {
        gathers.present(0); // the head's projection (a sharded lookup did not gather it)
      }
      gathers.present(u);
      if (u < head) {
        gathers.prefetch(u + 1);
      }
    }

    @Override
    public void afterForward(int u) {
      if (u == 0 && !tied) {
        gathers.release(0); // a tied embedding is the head's projection too: kept to the end
      } else if (inference && u == head) {
        gathers.release(head);
        if (tied) {
          gathers.release(0);
        }
      } else if (inference && u > 0) {
        model.unbindUnit(u); // its arrays go with the eval batch's scope; the slot keeps its values
      }
    }

    @Override
    public void beforeBackward(int u) {
      if (u == 0 && sharded) {
        return;
      }
      gathers.present(u);
      if (u > 1 || (u == 1 && !sharded)) {
        gathers.prefetch(u - 1);
      }
    }

    @Override
    public void afterBackward(int u) {
      if (u == 0 && sharded) {
        return; // the lookup's backward reduces its gradient
      }
      if (u == head) {
        // The head's gradient goes behind the blocks' backward: over several micro-batches,
        // summed and after the last one's head (a tied table gathered for the embedding too sums
        // both parts in autograd and goes after the embedding's backward, every micro-batch).
        if (tied) {
          // The head unit holds the final norm's weight only (nothing under OLMo 1's norm
          // without affine parameters): reduced as a block's are, first, so that the table's
          // reduction, queued next with one micro-batch, waits for this small one, not the
          // other way round.
          reductions.reduce(head);
        }
        if (!tied || sharded) {
          reductions.head(tied ? 0 : head);
        }
        boolean last = --headsLeft == 0;
        if (keepHead && sharded && !last) {
          model.unbindUnit(head); // the values stay for the next micro-batch's head
        } else {
          gathers.release(head);
        }
        if (tied && sharded) {
          model.unbindUnit(0); // the values stay for the next micro-batch's head
        }
        return;
      }
      reductions.reduce(u);
      // The arrays and gradients go; a block's slot and the embedding's vector keep their values
      // (unchanged within a step) for the next micro-batch; the step's end frees them.
      model.unbindUnit(u);
    }
  }

  /**
   * The embedding of a micro-batch by {@link ShardedLookup}: its exchange goes first, then block
   * 0's gather (and a tied table's first part, for the head); its backward queues behind the
   * reductions.
   */
  private final LayerwisePass.Lookup shardedLookup = new LayerwisePass.Lookup() {
    @Override
    public NDArray forward(NDArray ids) {
      long[] tokens = ids.toLongArray();
      int from = Math.toIntExact(plan.unitOffset(0));
      Future<float[]> rows = comm.submit(() -> lookup.forward(tokens, optimizer.master(), from));
      gathers.prefetch(1);
      if (tied) {
        gathers.startTable(); // one part now, one behind each later block's gather
      }
      return ids.getManager().create(comm.await(rows), ids.getShape().add(dModel));
    }

    @Override
    public void backward(NDArray ids, NDArray dy) {
      if (lookupGradsRead != null) {
        comm.await(lookupGradsRead); // the last micro-batch's, done before this one's forward
      }
      int n = Math.toIntExact(dy.size());
      if (lookupGrads == null || lookupGrads.length != n) {
        lookupGrads = new float[n];
      }
      dy.toByteBuffer(true).order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer()
          .get(lookupGrads);
      float[] grads = lookupGrads;
      lookupGradsRead = comm.reduce(
          () -> lookup.backward(grads, shardGrads, Math.toIntExact(plan.unitOffset(0))));
    }
  };

  /**
   * After a failure: cancels the collectives not yet started, waits for the one running (the
   * exchange fails it fast when it is closed or aborted), frees what they held and forgets every
   * unit; their errors join {@code cause} as suppressed.
   */
  private void abandon(Throwable cause) {
    comm.cancelReductions();
    gathers.abandon(cause);
    comm.forgetReductions(cause);
    reductions.forget();
    lookupGradsRead = null;
    lookupGrads = null; // a lookup backward still running past the wait above keeps its own
  }
}
