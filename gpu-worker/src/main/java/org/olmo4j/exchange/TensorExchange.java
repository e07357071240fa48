package org.olmo4j.exchange;

import org.olmo4j.train.Collectives;

/**
 * Collective operations among the ranks of one world and generation (the ZeRO-2 data plane).
 *
 * <p>Calls block and are made by one thread per rank, in the same order on every rank. Sums are
 * always taken in rank order, {@code ((x0 + x1) + x2) + ...}, so every implementation gives
 * bit-identical results run to run. After an {@link ExchangeException} the exchange is broken and
 * every later call fails; after {@link #abort} every call fails with {@link
 * ExchangeAbortedException}. A new world is formed with a new exchange of a newer generation.
 */
public interface TensorExchange extends Collectives, AutoCloseable {

  long generation();

  /**
   * Sums {@code full} (length Ψ, equal on all ranks) element-wise over the ranks; this rank
   * receives the sum of its own range {@link ShardRanges#start}..{@link ShardRanges#end} in
   * {@code myShard}.
   */
  @Override
  void reduceScatter(float[] full, float[] myShard);

  /** Every rank contributes its shard of bf16 bits; all receive the full vector of Ψ elements. */
  @Override
  void allGatherBf16(short[] myShardBf16, short[] fullBf16);

  /**
   * As {@link #allGatherBf16(short[], short[])}, this rank's shard read from (and left in) its
   * range {@link ShardRanges#start}..{@link ShardRanges#end} of {@code fullBf16}.
   */
  @Override
  void allGatherBf16InPlace(short[] fullBf16);

  /** Every rank contributes its fp32 shard; all receive the full vector of Ψ elements. */
  @Override
  void allGather(float[] myShard, float[] full);

  /** Sum of {@code value} over the ranks, in rank order. */
  default double allReduceSum(double value) {
    return allReduceSum(new double[] {value})[0];
  }

  /** Element-wise sum of small vectors (equal length on all ranks) over the ranks, in rank order. */
  @Override
  double[] allReduceSum(double[] values);

  /**
   * Fails every call in flight or to come with {@link ExchangeAbortedException}, here and on the
   * other ranks of the world; {@code newGeneration} must be newer than {@link #generation()}.
   */
  void abort(long newGeneration);

  /** Leaves the world without notice; peers blocked on this rank get an {@link ExchangeException}. */
  @Override
  void close();
}
