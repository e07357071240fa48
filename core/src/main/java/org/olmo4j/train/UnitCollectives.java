package org.olmo4j.train;

import org.olmo4j.io.Bf16;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.model.FlatVector;
import org.olmo4j.model.ShardPlan;

/**
 * The collectives of one unit of a sharded step: its all-gather from every rank's piece of the
 * master (fp32, or the master rounded to bf16 and widened back), and the reduce-scatter of its
 * gradient over the shard group, summed across the replica groups for HYBRID_SHARD.
 */
final class UnitCollectives implements AutoCloseable {

  /** Elements per pass of the bf16 casts. */
  private static final int BLOCK = 16 << 10;

  /** The ranks a unit is sharded over (FULL_SHARD: every rank). */
  private final Collectives shard;
  /** HYBRID_SHARD: the ranks holding the same pieces, one per shard group; else null. */
  private final Collectives replicas;
  /** amp_bf16: units travel as bf16 (the master rounded), half the bytes. */
  private final boolean bf16;
  /**
   * A block's buffers, reused from block to block (calls come from one thread at a time): the
   * bf16 bits it travels as, and its reduce-scatter results over the shard group and the
   * replica group. The embedding and the head get buffers of their own per call.
   */
  private FlatVector blockBits;
  private float[] blockPart;
  private float[] blockPiece;

  UnitCollectives(Collectives shard, Collectives replicas, boolean bf16) {
    this.shard = shard;
    this.replicas = replicas == null || replicas.worldSize() == 1 ? null : replicas;
    this.bf16 = bf16;
  }

  Collectives shard() {
    return shard;
  }

  /** This rank's piece of a unit of {@code length} elements. */
  FlatLayout.Range mine(long length) {
    return ShardPlan.slice(length, shard.rank(), shard.worldSize());
  }

  /**
   * Fills {@code unit} with every rank's piece: this rank's is {@code master[from ..]}, rounded
   * to bf16 under amp_bf16 (the values ZeRO-2's bf16 all-gather gives). {@code block}: the unit
   * is a block, whose buffers are kept for the next one.
   */
  void gather(FlatVector unit, float[] master, int from, boolean block) {
    FlatLayout.Range mine = mine(unit.length());
    if (!bf16) {
      unit.put(mine.start(), master, from, (int) mine.length());
      shard.allGatherInPlace(unit);
      return;
    }
    if (blockBits != null && (!block || blockBits.length() != unit.length())) {
      blockBits.close(); // the embedding's and head's bits take its place at their gather
      blockBits = null;
    }
    if (block && blockBits == null) {
      blockBits = FlatVector.bf16(unit.length());
    }
    FlatVector travel = block ? blockBits : FlatVector.bf16(unit.length());
    try {
      gatherBf16(unit, master, from, mine, travel);
    } finally {
      if (!block) {
        travel.close();
      }
    }
  }

  private void gatherBf16(FlatVector unit, float[] master, int from, FlatLayout.Range mine,
      FlatVector travel) {
    short[] b = new short[BLOCK];
    float[] f = new float[BLOCK];
    for (long i = 0; i < mine.length(); i += BLOCK) {
      int len = (int) Math.min(BLOCK, mine.length() - i);
      Bf16.fromFloats(master, from + (int) i, b, 0, len);
      travel.put(mine.start() + i, b, 0, len);
    }
    shard.allGatherInPlace(travel);
    for (long i = 0; i < unit.length(); i += BLOCK) {
      int len = (int) Math.min(BLOCK, unit.length() - i);
      travel.get(i, b, 0, len);
      Bf16.toFloats(b, 0, f, 0, len);
      unit.put(i, f, 0, len);
    }
  }

  /**
   * This rank's piece of {@code grads} summed over the shard group and, for HYBRID_SHARD, over
   * the replicas (a reduce-scatter and an all-gather over the replica group, in rank order). A
   * block's array is the next block's too: read it before.
   */
  float[] reduce(FlatVector grads, boolean block) {
    int length = (int) mine(grads.length()).length();
    float[] part;
    if (block) {
      blockPart = reuse(blockPart, length);
      part = blockPart;
    } else {
      part = new float[length];
    }
    shard.reduceScatter(grads, part);
    if (replicas != null) {
      int pieceLength = (int) ShardPlan.slice(length, replicas.rank(), replicas.worldSize())
          .length();
      float[] piece;
      if (block) {
        blockPiece = reuse(blockPiece, pieceLength);
        piece = blockPiece;
      } else {
        piece = new float[pieceLength];
      }
      replicas.reduceScatter(part, piece);
      replicas.allGather(piece, part);
    }
    return part;
  }

  /** {@code a} when it has {@code length} elements, else a new array. */
  private static float[] reuse(float[] a, int length) {
    return a != null && a.length == length ? a : new float[length];
  }

  /** Frees the bf16 buffer (once no collective runs). */
  @Override
  public void close() {
    if (blockBits != null) {
      blockBits.close();
      blockBits = null;
    }
    blockPart = null;
    blockPiece = null;
  }
}
