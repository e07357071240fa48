package org.olmo4j.exchange;

import java.time.Duration;
import org.olmo4j.model.FlatVector;
import org.olmo4j.train.Collectives;

/**
 * Collective operations among the ranks of one world and generation (the ZeRO-2 data plane).
 *
 * <p>Calls block. A rank makes one call at a time, in the same order on every rank, from any
 * thread as long as each call happens after the previous one returned (FULL_SHARD's prefetch and
 * backward threads take turns); vectors of different lengths follow each other freely. Sums are
 * always taken in rank order, {@code ((x0 + x1) + x2) + ...}, so every implementation gives
 * bit-identical results run to run. After an {@link ExchangeException} the exchange is broken and
 * every later call fails; after {@link #abort} every call fails with {@link
 * ExchangeAbortedException}. A new world is formed with a new exchange of a newer generation.
 */
public interface TensorExchange extends Collectives, AutoCloseable {

  long generation();

  /**
   * Sums {@code full} (Ψ fp32 elements, equal length on all ranks) element-wise over the ranks;
   * this rank receives the sum of its own range {@link ShardRanges#start}..{@link ShardRanges#end}
   * in {@code myShard}.
   */
  @Override
  void reduceScatter(FlatVector full, float[] myShard);

  /**
   * Every rank contributes the elements (fp32 or bf16) in its range {@link ShardRanges#start}..
   * {@link ShardRanges#end} of {@code full} (sent from there and left as they are); all receive
   * the other ranges.
   */
  @Override
  void allGatherInPlace(FlatVector full);

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

  /**
   * After {@link #close} (or an abort): waits until no thread of this world can read or write the
   * vectors this rank passed in any more, so that they may be freed; false if that did not happen
   * within {@code timeout} (then leave them to the garbage collector).
   */
  boolean awaitIdle(Duration timeout);
}
