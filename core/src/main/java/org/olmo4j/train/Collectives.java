package org.olmo4j.train;

import org.olmo4j.model.FlatVector;
import org.olmo4j.model.ShardPlan;

/**
 * The collective operations a ZeRO step needs, over the ranks of one world. Implemented by the
 * data plane (in-process or network) and trivially for a single rank.
 *
 * <p>Full vectors (Ψ elements) are {@link FlatVector}s in native memory, so that sockets send and
 * receive them without staging copies; shards (Ψ/N) are the optimizer's heap arrays. The array
 * forms copy into a temporary vector (tests, small callers).
 *
 * <p>Every reduction sums in rank order, never in arrival order, so results are bit-identical run
 * to run for the same world size.
 */
public interface Collectives {

  int rank();

  int worldSize();

  /**
   * Sum over ranks of {@code full} (fp32, the same length L on every rank: the flat vector or
   * one unit of it); this rank receives its part ({@link ShardPlan#slice}) of the sum.
   */
  void reduceScatter(FlatVector full, float[] myShard);

  /**
   * Adds this rank's part of the sum over ranks of {@code full} to {@code acc[at ..]}: the sum is
   * taken first, in rank order, then added ({@code acc + ((x0 + x1) + ...)}), the values of {@link
   * #reduceScatter(FlatVector, float[])} into an array followed by that addition. A micro-batch's
   * unit gradient into the step's gradient shard; the data plane adds as it sums, without the
   * array (this default allocates one: small and single-rank callers).
   */
  default void reduceScatterAdd(FlatVector full, float[] acc, int at) {
    float[] part = new float[checkAccumulator(full.length(), acc, at, rank(), worldSize())];
    reduceScatter(full, part);
    for (int i = 0; i < part.length; i++) {
      acc[at + i] += part[i];
    }
  }

  /**
   * Concatenation of every rank's shard into {@code full} (Ψ fp32 or bf16 elements), this rank's
   * shard already in its range of {@code full}: that range is sent and left as it is, every other
   * range is overwritten (in place, as NCCL's all-gather: on loopback the exchange is CPU-bound, so
   * every copy adds to its time).
   */
  void allGatherInPlace(FlatVector full);

  /** Element-wise sum over ranks of a few scalars. */
  double[] allReduceSum(double[] values);

  // The temporary vectors below are left to the garbage collector, not closed: after a failed
  // call an exchange thread may still be reading or writing them.

  /** As {@link #reduceScatter(FlatVector, float[])} from an array. */
  default void reduceScatter(float[] full, float[] myShard) {
    reduceScatter(FlatVector.of(full), myShard);
  }

  /** Concatenation of every rank's shard of bf16 bits into {@code full} (Ψ elements). */
  default void allGatherBf16(short[] myShard, short[] full) {
    checkShard(full.length, myShard.length);
    FlatVector v = FlatVector.bf16(full.length);
    v.put(shardStart(full.length), myShard, 0, myShard.length);
    allGatherInPlace(v);
    v.get(0, full, 0, full.length);
  }

  /** As {@link #allGatherInPlace(FlatVector)} on an array of bf16 bits. */
  default void allGatherBf16InPlace(short[] full) {
    FlatVector v = FlatVector.of(full);
    allGatherInPlace(v);
    v.get(0, full, 0, full.length);
  }

  /** Concatenation of every rank's fp32 shard into {@code full}: the shard is put in place first. */
  default void allGather(float[] myShard, FlatVector full) {
    checkShard(full.length(), myShard.length);
    full.put(shardStart(full.length()), myShard, 0, myShard.length);
    allGatherInPlace(full);
  }

  /** As {@link #allGather(float[], FlatVector)} into an array. */
  default void allGather(float[] myShard, float[] full) {
    FlatVector v = FlatVector.fp32(full.length);
    allGather(myShard, v);
    v.get(0, full, 0, full.length);
  }

  /**
   * The length of rank {@code rank}'s piece of {@code total} elements, checked to fit in {@code
   * acc} from {@code at} ({@link #reduceScatterAdd}'s arguments, checked before it exchanges).
   */
  static int checkAccumulator(long total, float[] acc, int at, int rank, int worldSize) {
    long len = ShardPlan.slice(total, rank, worldSize).length();
    if (at < 0 || at + len > acc.length) {
      throw new IllegalArgumentException("reduce-scatter: rank " + rank + " of " + worldSize
          + " adds its " + len + " of " + total + " elements at " + at + " of an array of "
          + acc.length);
    }
    return (int) len;
  }

  /** Where this rank's shard starts in a vector of {@code total} elements (the flat layout's split). */
  private long shardStart(long total) {
    return ShardPlan.slice(total, rank(), worldSize()).start();
  }

  private void checkShard(long total, int shardLength) {
    long length = ShardPlan.slice(total, rank(), worldSize()).length();
    if (shardLength != length) {
      throw new IllegalArgumentException("all-gather: rank " + rank() + " of " + worldSize()
          + " owns " + length + " of " + total + " elements, but its shard array has " + shardLength);
    }
  }

  /** The world of one rank: every collective is the identity. */
  static Collectives single() {
    return new Collectives() {
      @Override
      public int rank() {
        return 0;
      }

      @Override
      public int worldSize() {
        return 1;
      }

      @Override
      public void reduceScatter(FlatVector full, float[] myShard) {
        full.get(0, myShard, 0, myShard.length);
      }

      @Override
      public void reduceScatterAdd(FlatVector full, float[] acc, int at) {
        int n = checkAccumulator(full.length(), acc, at, 0, 1);
        full.addTo(0, acc, at, n);
      }

      @Override
      public void allGatherInPlace(FlatVector full) {
        // The only shard is the whole vector, already in place.
      }

      @Override
      public double[] allReduceSum(double[] values) {
        return values.clone();
      }
    };
  }
}
