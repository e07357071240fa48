package org.olmo4j.exchange;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.olmo4j.exchange.InProcessGroup.Contribution;
import org.olmo4j.model.FlatVector;
import org.olmo4j.train.Collectives;

/** A rank of an {@link InProcessGroup}: all ranks are threads of this JVM. */
public final class InProcessExchange implements TensorExchange {

  private final InProcessGroup group;
  private final int rank;
  /** {@link #reduceScatterAdd}'s pieces, by length. */
  private final Map<Integer, float[]> pieces = new HashMap<>();

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
  public void reduceScatter(FlatVector full, float[] myShard) {
    int total = VectorArgs.length(full, DType.FP32, "reduce-scatter");
    ShardRanges ranges = ShardArgs.reduceScatter(total, myShard.length, rank, worldSize());
    Contribution[] all = group.arrive(rank,
        new Contribution(OpKind.REDUCE_SCATTER, DType.FP32, total, full));
    try {
      long start = ranges.start(rank);
      float[] scratch = new float[Math.min(ShardFold.BLOCK, myShard.length)];
      for (int b = 0; b < myShard.length; b += ShardFold.BLOCK) {
        int len = Math.min(ShardFold.BLOCK, myShard.length - b);
        ((FlatVector) all[0].data()).get(start + b, myShard, b, len);
        for (int r = 1; r < all.length; r++) {
          ((FlatVector) all[r].data()).get(start + b, scratch, 0, len);
          RankOrderSum.add(myShard, b, scratch, 0, len);
        }
      }
    } finally {
      group.doneReading();
    }
    group.depart(OpKind.REDUCE_SCATTER);
  }

  /** The piece into an array kept for its length (one collective runs at a time), then added. */
  @Override
  public void reduceScatterAdd(FlatVector full, float[] acc, int at) {
    int len = Collectives.checkAccumulator(VectorArgs.length(full, DType.FP32, "reduce-scatter"),
        acc, at, rank, worldSize());
    float[] sums = pieces.computeIfAbsent(len, float[]::new);
    reduceScatter(full, sums);
    for (int i = 0; i < len; i++) {
      acc[at + i] += sums[i];
    }
  }

  @Override
  public void allGatherInPlace(FlatVector full) {
    DType dtype = full.isFp32() ? DType.FP32 : DType.BF16;
    int total = VectorArgs.length(full, dtype, "all-gather");
    ShardRanges ranges = new ShardRanges(total, worldSize());
    Contribution[] all = group.arrive(rank, new Contribution(OpKind.ALL_GATHER, dtype, total, full));
    try {
      for (int r = 0; r < all.length; r++) {
        if (r != rank) {
          ((FlatVector) all[r].data()).copyTo(ranges.start(r), full, ranges.start(r), ranges.length(r));
        }
      }
    } finally {
      group.doneReading();
    }
    group.depart(OpKind.ALL_GATHER);
  }

  @Override
  public double[] allReduceSum(double[] values) {
    Contribution[] all = group.arrive(rank,
        new Contribution(OpKind.ALL_REDUCE, DType.FP64, values.length, values));
    double[] sum;
    try {
      sum = ((double[]) all[0].data()).clone();
      for (int r = 1; r < all.length; r++) {
        RankOrderSum.add(sum, (double[]) all[r].data());
      }
    } finally {
      group.doneReading();
    }
    group.depart(OpKind.ALL_REDUCE);
    return sum;
  }

  @Override
  public boolean awaitIdle(Duration timeout) {
    return group.awaitNoReaders(timeout);
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
