package org.olmo4j.exchange;

import java.util.Arrays;
import org.olmo4j.exchange.InProcessGroup.Contribution;

/** A rank of an {@link InProcessGroup}: all ranks are threads of this JVM. */
public final class InProcessExchange implements TensorExchange {

  private final InProcessGroup group;
  private final int rank;

  InProcessExchange(InProcessGroup group, int rank) {
    this.group = group;
    this.rank = rank;
  }

  @Override
  public int rank() {
    return rank;
  }

  @Override
  public int worldSize() {
    return group.worldSize();
  }

  @Override
  public long generation() {
    return group.generation();
  }

  @Override
  public void reduceScatter(float[] full, float[] myShard) {
    ShardRanges ranges = ShardArgs.reduceScatter(full.length, myShard.length, rank, worldSize());
    Contribution[] all = group.arrive(rank,
        new Contribution(OpKind.REDUCE_SCATTER, DType.FP32, full.length, full));
    int start = (int) ranges.start(rank);
    System.arraycopy((float[]) all[0].data(), start, myShard, 0, myShard.length);
    for (int r = 1; r < all.length; r++) {
      RankOrderSum.add(myShard, 0, (float[]) all[r].data(), start, myShard.length);
    }
    group.depart(OpKind.REDUCE_SCATTER);
  }

  @Override
  public void allGatherBf16(short[] myShardBf16, short[] fullBf16) {
    ShardRanges ranges = ShardArgs.allGather(fullBf16.length, myShardBf16.length, rank, worldSize());
    Contribution[] all = group.arrive(rank,
        new Contribution(OpKind.ALL_GATHER, DType.BF16, fullBf16.length, myShardBf16));
    for (int r = 0; r < all.length; r++) {
      short[] shard = (short[]) all[r].data();
      System.arraycopy(shard, 0, fullBf16, (int) ranges.start(r), ranges.length(r));
    }
    group.depart(OpKind.ALL_GATHER);
  }

  @Override
  public void allGatherBf16InPlace(short[] fullBf16) {
    ShardRanges ranges = new ShardRanges(fullBf16.length, worldSize());
    // A copy, so that ranks calling either form of the bf16 all-gather see the same contribution.
    allGatherBf16(Arrays.copyOfRange(fullBf16, (int) ranges.start(rank),
        (int) ranges.end(rank)), fullBf16);
  }

  @Override
  public void allGather(float[] myShard, float[] full) {
    ShardRanges ranges = ShardArgs.allGather(full.length, myShard.length, rank, worldSize());
    Contribution[] all = group.arrive(rank,
        new Contribution(OpKind.ALL_GATHER, DType.FP32, full.length, myShard));
    for (int r = 0; r < all.length; r++) {
      float[] shard = (float[]) all[r].data();
      System.arraycopy(shard, 0, full, (int) ranges.start(r), ranges.length(r));
    }
    group.depart(OpKind.ALL_GATHER);
  }

  @Override
  public double[] allReduceSum(double[] values) {
    Contribution[] all = group.arrive(rank,
        new Contribution(OpKind.ALL_REDUCE, DType.FP64, values.length, values));
    double[] sum = ((double[]) all[0].data()).clone();
    for (int r = 1; r < all.length; r++) {
      RankOrderSum.add(sum, (double[]) all[r].data());
    }
    group.depart(OpKind.ALL_REDUCE);
    return sum;
  }

  @Override
  public void abort(long newGeneration) {
    group.abort(newGeneration);
  }

  @Override
  public void close() {
    group.leave(rank);
  }
}
