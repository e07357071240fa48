package org.olmo4j.train;

import java.util.HashMap;
import java.util.Map;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.model.FlatVector;
import org.olmo4j.model.ShardPlan;

/**
 * The collectives of one unit of a sharded step: its all-gather from every rank's piece of the
 * master (fp32, or the master rounded to bf16 and widened back), and the reduce-scatter of its
 * gradient over the shard group, summed across the replica groups for HYBRID_SHARD.
 */
final class UnitCollectives implements AutoCloseable {

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
  /** fp32: where the parts of a unit gathered in parts travel (grown to the longest). */
  private FlatVector floats;
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
   * to bf16 under amp_bf16 (the values ZeRO-2's bf16 all-gather gives). In fp32 the unit itself
   * travels; in bf16 its bits, as the one part of {@link #gatherPart}.
   */
  void gather(FlatVector unit, float[] master, int from) {
    if (bf16) {
      gatherPart(unit, master, from, 0, 1);
      return;
    }
    FlatLayout.Range mine = mine(unit.length());
    unit.put(mine.start(), master, from, (int) mine.length());
    shard.allGatherInPlace(unit);
  }

  /**
   * Part {@code part} of {@code parts} of {@link #gather}: the same values in the same places of
   * {@code unit}, for that share of every rank's piece, so that a long unit's gather can run in
   * parts between others. The ranks exchange {@code parts} slices of equal length (the short last
   * piece padded), each rank's taken from the same place in its piece.
   */
  void gatherPart(FlatVector unit, float[] master, int from, int part, int parts) {
    int n = shard.worldSize();
    long pieceSize = ShardPlan.slice(unit.length(), 0, n).length(); // every piece but the last
    FlatLayout.Range share = ShardPlan.slice(pieceSize, part, parts);
    long len = share.length();
    if (len == 0) {
      return;
    }
    FlatVector travel;
    if (bf16) {
      bits = grown(bits, n * len, true);
      travel = bits.prefix(n * len);
    } else {
      floats = grown(floats, n * len, false);
      travel = floats.prefix(n * len);
    }
    long own = inShare(share, mine(unit.length()));
    int at = from + (int) share.start();
    if (bf16) {
      travel.putRounded(shard.rank() * len, master, at, (int) own);
    } else {
      travel.put(shard.rank() * len, master, at, (int) own);
    }
    shard.allGatherInPlace(travel);
    for (int q = 0; q < n; q++) {
      long valid = inShare(share, ShardPlan.slice(unit.length(), q, n));
      long to = q * pieceSize + share.start();
      if (bf16) {
        travel.widenTo(q * len, unit, to, valid);
      } else {
        travel.copyTo(q * len, unit, to, valid);
      }
    }
  }

  /** How much of {@code share} (positions within a piece) {@code piece} holds. */
  private static long inShare(FlatLayout.Range share, FlatLayout.Range piece) {
    return Math.max(0, Math.min(share.end(), piece.length()) - share.start());
  }

  private static FlatVector grown(FlatVector v, long length, boolean bf16) {
    if (v != null && v.length() >= length) {
      return v;
    }
    if (v != null) {
      v.close();
    }
    return bf16 ? FlatVector.bf16(length) : FlatVector.fp32(length);
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

  /**
   * Adds this rank's piece of {@code grads}, summed as {@link #reduce} sums it, to {@code
   * acc[at ..]}: over the shard group alone, the exchange adds as it sums (no piece array, no
   * second pass over the shard).
   */
  void reduceAdd(FlatVector grads, float[] acc, int at) {
    if (replicas == null) {
      shard.reduceScatterAdd(grads, acc, at);
      return;
    }
    float[] part = reduce(grads);
    for (int i = 0; i < part.length; i++) {
      acc[at + i] += part[i];
    }
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

  /** Frees the buffers units travel in (once no collective runs). */
  @Override
  public void close() {
    if (bits != null) {
      bits.close();
      bits = null;
    }
    if (floats != null) {
      floats.close();
      floats = null;
    }
    parts.clear();
    pieces.clear();
  }
}
