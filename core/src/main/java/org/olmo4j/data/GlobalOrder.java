package org.olmo4j.data;

import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * The global order in which training sees instances: position {@code p} (examples seen so far)
 * maps to {@code perm(seed + epoch)[p % usable]} with {@code epoch = p / usable}, where
 * {@code usable} is the instance count rounded down to a whole number of global batches, so a batch
 * never spans two epochs.
 *
 * <p>{@code perm(s)} is a Fisher–Yates shuffle of {@code [0, n)}: starting from the identity, for
 * {@code i = n-1 .. 1} swap entries {@code i} and {@code new SplittableRandom(s).nextLong(i + 1)}
 * (one generator per epoch, drawn in that order).
 */
public final class GlobalOrder {
  private final long numInstances;
  private final int globalBatchSize;
  private final long seed;
  private final long usable;
  private final IndexSource fixed;
  private long cachedEpoch = -1;
  private int[] cachedPerm;

  /** Supplies instance indices from a precomputed list (OLMo's {@code global_indices.npy}). */
  interface IndexSource {
    long size();

    long get(long position);
  }

  private GlobalOrder(long numInstances, int globalBatchSize, long seed, IndexSource fixed) {
    if (globalBatchSize <= 0) {
      throw new IllegalArgumentException("global batch size must be positive: " + globalBatchSize);
    }
    long n = fixed == null ? numInstances : fixed.size();
    this.numInstances = numInstances;
    this.globalBatchSize = globalBatchSize;
    this.seed = seed;
    this.usable = n / globalBatchSize * globalBatchSize;
    this.fixed = fixed;
    if (usable == 0) {
      throw new DataException(
          n + " instances are fewer than one global batch of " + globalBatchSize);
    }
  }

  /** A seeded shuffle of {@code numInstances} instances, reshuffled every epoch. */
  public static GlobalOrder shuffled(long numInstances, int globalBatchSize, long seed) {
    if (numInstances >= Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          numInstances + " instances: permutations over 2^31 instances are not supported");
    }
    return new GlobalOrder(numInstances, globalBatchSize, seed, null);
  }

  /**
   * The order given by OLMo's {@code global_indices.npy}; every epoch repeats it. Indices must be
   * below {@code numInstances}.
   */
  public static GlobalOrder fromGlobalIndices(
      Path npy, long numInstances, int globalBatchSize) {
    return new GlobalOrder(numInstances, globalBatchSize, 0, NpyIndices.open(npy, numInstances));
  }

  /** Global batches (optimizer steps) per epoch. */
  public long stepsPerEpoch() {
    return usable / globalBatchSize;
  }

  /** Instances per epoch: the instance count rounded down to whole global batches. */
  public long instancesPerEpoch() {
    return usable;
  }

  public int globalBatchSize() {
    return globalBatchSize;
  }

  public long epochOf(long position) {
    return position / usable;
  }

  /** The instance index at global position {@code position} (0-based, across epochs). */
  public synchronized long instanceAt(long position) {
    if (position < 0) {
      throw new IllegalArgumentException("negative position " + position);
    }
    long epoch = position / usable;
    long offset = position % usable;
    if (fixed != null) {
      return fixed.get(offset);
    }
    if (epoch != cachedEpoch) {
      cachedPerm = permutation((int) numInstances, seed + epoch);
      cachedEpoch = epoch;
    }
    return cachedPerm[(int) offset];
  }

  /** The documented Fisher–Yates permutation of {@code [0, n)} for {@code seed}. */
  static int[] permutation(int n, long seed) {
    int[] perm = new int[n];
    for (int i = 0; i < n; i++) {
      perm[i] = i;
    }
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = (int) random.nextLong(i + 1);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    return perm;
  }
}
