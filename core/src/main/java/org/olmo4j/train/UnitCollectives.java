package org.olmo4j.train;

import java.util.HashMap;
import java.util.Map;
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
   * Buffers kept from call to call (calls come from one thread at a time): the bf16 bits a unit
   * travels as (grown to the longest unit gathered), and the reduce-scatter results of each unit
   * length over the shard group and the replica group.
   */
  private FlatVector bits;
  private final Map<Integer, float[]> parts = new HashMap<>();
  private final Map<Integer, float[]> pieces = new HashMap<>();

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
   * to bf16 under amp_bf16 (the values ZeRO-2's bf16 all-gather gives).
   */
  void gather(FlatVector unit, float[] master, int from) {
    FlatLayout.Range mine = mine(unit.length());
    if (!bf16) {
      unit.put(mine.start(), master, from, (int) mine.length());
      shard.allGatherInPlace(unit);
      return;
    }
    if (bits == null || bits.length() < unit.length()) {
      if (bits != null) {
        bits.close();
      }
      bits = FlatVector.bf16(unit.length());
    }
    gatherBf16(unit, master, from, mine, bits.prefix(unit.length()));
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
   * the replicas (a reduce-scatter and an all-gather over the replica group, in rank order). The
   * array is the next call's too for a unit of the same length: read it before.
   */
  float[] reduce(FlatVector grads) {
    float[] part = parts.computeIfAbsent((int) mine(grads.length()).length(), float[]::new);
    shard.reduceScatter(grads, part);
    sumOverReplicas(part);
    return part;
  }

  /** Whether a piece summed over the shard group is still to be summed over replica groups. */
  boolean hasReplicas() {
    return replicas != null;
  }

  /**
   * HYBRID_SHARD: replaces {@code part}, this rank's piece summed over its shard group, by its
   * sum over the replicas (a reduce-scatter and an all-gather over the replica group, in rank
   * order); nothing to do otherwise.
   */
  void sumOverReplicas(float[] part) {
    if (replicas != null) {
      float[] piece = pieces.computeIfAbsent((int) ShardPlan.slice(part.length, replicas.rank(),
          replicas.worldSize()).length(), float[]::new);
      replicas.reduceScatter(part, piece);
      replicas.allGather(piece, part);
    }
  }

  /** A piece-sized array kept for {@code length} elements, as {@link #reduce} uses (zeroed). */
  float[] zeroedPart(int length) {
    float[] part = parts.computeIfAbsent(length, float[]::new);
    java.util.Arrays.fill(part, 0f);
    return part;
  }

  /** Frees the bf16 buffer (once no collective runs). */
  @Override
  public void close() {
    if (bits != null) {
      bits.close();
      bits = null;
    }
    parts.clear();
    pieces.clear();
  }
}
