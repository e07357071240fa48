package org.olmo4j.loader;

import java.util.ArrayList;
import java.util.List;
import org.olmo4j.train.Batch;
import org.olmo4j.train.TrainData;

/**
 * The part of every global batch that rank {@code rank} of {@code worldSize} trains on, cut into
 * micro-batches. Step {@code s} covers global positions {@code [fromPosition + (s - fromStep)·B, … + B)};
 * the rank takes the contiguous rows {@code [r·B/N, (r+1)·B/N)} of it, so the union over ranks in
 * rank order is the single-worker global batch.
 */
record RankShare(int rank, int worldSize, long fromStep, long fromPosition, int globalBatch,
    int microBatch) {

  RankShare {
    if (worldSize <= 0 || rank < 0 || rank >= worldSize) {
      throw new IllegalArgumentException("rank " + rank + " is not in a world of " + worldSize);
    }
    if (globalBatch <= 0 || microBatch <= 0) {
      throw new IllegalArgumentException("global_train_batch_size " + globalBatch
          + " and device_train_microbatch_size " + microBatch + " must be positive");
    }
    if (globalBatch % worldSize != 0) {
      throw new IllegalArgumentException("global_train_batch_size " + globalBatch
          + " is not divisible by the world size " + worldSize);
    }
    if (fromStep < 0 || fromPosition < 0) {
      throw new IllegalArgumentException(
          "step " + fromStep + " at global position " + fromPosition + ": both must be >= 0");
    }
  }

  /** Rows of this rank per step. */
  int rows() {
    return globalBatch / worldSize;
  }

  /** Micro-batches of this rank per step; the last one is shorter when rows() % microBatch ≠ 0. */
  int count() {
    return (rows() + microBatch - 1) / microBatch;
  }

  /** Global position of this rank's first row in {@code step}. */
  long start(long step) {
    if (step < fromStep) {
      throw new IllegalArgumentException("step " + step + " is before the first step " + fromStep);
    }
    long base = Math.addExact(fromPosition, Math.multiplyExact(step - fromStep, (long) globalBatch));
    return base + (long) rank * rows();
  }

  /** Reads this rank's micro-batches of {@code step} (blocking: touches the memory-mapped files). */
  List<MicroBatch> read(TrainData data, long step) {
    long start = start(step);
    int count = count();
    List<MicroBatch> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int from = i * microBatch;
      int rows = Math.min(microBatch, rows() - from);
      Batch b = data.batch(start + from, rows);
      out.add(new MicroBatch(step, i, count, start + from, rows, b.seqLen(), b.tokens(), b.labelMask(),
          b.instanceMask()));
    }
    return out;
  }
}
