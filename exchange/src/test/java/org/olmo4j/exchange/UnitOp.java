package org.olmo4j.exchange;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.olmo4j.model.FlatVector;

/**
 * One collective of a FULL_SHARD step on one unit's vector (a transformer block, the embedding, the
 * LM head): a reduce-scatter of the unit's fp32 gradients, or an all-gather of its fp32 or bf16
 * parameters. Inputs depend on the op's index, so that a frame of one op landing in another changes
 * the result.
 */
record UnitOp(int index, OpKind kind, DType dtype, int length) {

  /** Gradient magnitudes: sums of values this far apart change bits when the order changes. */
  private static final float[] SCALES = {1e-4f, 1e-3f, 1e-2f, 1e-1f, 1f, 1e1f, 1e2f, 1e3f, 1e4f};

  /**
   * A step in miniature: reduce-scatters and all-gathers alternate, each on another length: units
   * shorter than any world here (empty shards), a single element, odd lengths, and units of a few
   * MiB next to tiny ones.
   */
  static List<UnitOp> aStepOfUnits() {
    return List.of(
        reduce(0, 5),
        gather(1, DType.FP32, 1),
        reduce(2, 2),
        gather(3, DType.BF16, 1_048_583),
        reduce(4, 1_048_579),
        gather(5, DType.BF16, 0),
        reduce(6, 1),
        gather(7, DType.FP32, 4_099),
        reduce(8, 3),
        gather(9, DType.BF16, 2),
        reduce(10, 0),
        gather(11, DType.FP32, 1_048_573),
        reduce(12, 10_007),
        gather(13, DType.BF16, 7));
  }

  /** {@code count} ops alternating reduce-scatter and all-gather, lengths drawn from {@code rnd}. */
  static List<UnitOp> randomUnits(Random rnd, int count) {
    List<UnitOp> ops = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int p = rnd.nextInt(10);
      int length = p < 5 ? rnd.nextInt(6) : p < 8 ? 1 + 2 * rnd.nextInt(2_500) : rnd.nextInt(100_000);
      ops.add(i % 2 == 0 ? reduce(i, length)
          : gather(i, rnd.nextBoolean() ? DType.FP32 : DType.BF16, length));
    }
    return ops;
  }

  static UnitOp reduce(int index, int length) {
    return new UnitOp(index, OpKind.REDUCE_SCATTER, DType.FP32, length);
  }

  static UnitOp gather(int index, DType dtype, int length) {
    return new UnitOp(index, OpKind.ALL_GATHER, dtype, length);
  }

  /**
   * Runs this op on {@code ex} with the rank's inputs: the shard of a reduce-scatter, or the whole
   * vector after an all-gather (stale values outside the own range before it), as an array.
   */
  Object runOn(TensorExchange ex) {
    ShardRanges ranges = new ShardRanges(length, ex.worldSize());
    int start = (int) ranges.start(ex.rank());
    int len = ranges.length(ex.rank());
    if (kind == OpKind.REDUCE_SCATTER) {
      float[] shard = new float[len];
      ex.reduceScatter(FlatVector.of(gradient(ex.rank())), shard);
      return shard;
    }
    if (dtype == DType.FP32) {
      float[] stale = new float[length];
      Arrays.fill(stale, 1e30f * (ex.rank() + 1));
      FlatVector full = FlatVector.of(stale);
      full.put(start, parameters(), start, len);
      ex.allGatherInPlace(full);
      return full.toFloatArray();
    }
    short[] stale = new short[length];
    Arrays.fill(stale, (short) (0x7777 + ex.rank()));
    FlatVector full = FlatVector.of(stale);
    full.put(start, bf16Parameters(), start, len);
    ex.allGatherInPlace(full);
    return full.toShortArray();
  }

  /** What every rank's full vector should hold: the rank-order sum, or the gathered parameters. */
  Object expected(int worldSize) {
    if (kind == OpKind.ALL_GATHER) {
      return dtype == DType.FP32 ? parameters() : bf16Parameters();
    }
    float[] sum = gradient(0);
    for (int r = 1; r < worldSize; r++) {
      float[] g = gradient(r);
      for (int i = 0; i < length; i++) {
        sum[i] += g[i];
      }
    }
    return sum;
  }

  /** Throws naming the op and rank unless {@code got} (from {@link #runOn}) is exactly right. */
  void check(int worldSize, int rank, Object expected, Object got) {
    String what = this + " on rank " + rank + " of " + worldSize;
    if (kind == OpKind.REDUCE_SCATTER) {
      ShardRanges ranges = new ShardRanges(length, worldSize);
      float[] want = Arrays.copyOfRange((float[]) expected, (int) ranges.start(rank),
          (int) ranges.end(rank));
      TensorExchangeContractTest.assertBitsEqual(want, (float[]) got, what);
    } else if (dtype == DType.FP32) {
      TensorExchangeContractTest.assertBitsEqual((float[]) expected, (float[]) got, what);
    } else {
      assertArrayEquals((short[]) expected, (short[]) got, what);
    }
  }

  /** Checks every rank's result ({@code got.get(r)} from rank r). */
  void checkAll(int worldSize, List<Object> got) {
    Object expected = expected(worldSize);
    for (int r = 0; r < worldSize; r++) {
      check(worldSize, r, expected, got.get(r));
    }
  }

  private float[] gradient(int rank) {
    Random rnd = new Random(1_000_003L * index + rank);
    float[] g = new float[length];
    for (int i = 0; i < length; i++) {
      g[i] = (float) rnd.nextGaussian() * SCALES[rnd.nextInt(SCALES.length)];
    }
    return g;
  }

  private float[] parameters() {
    Random rnd = new Random(-1 - index);
    float[] p = new float[length];
    for (int i = 0; i < length; i++) {
      p[i] = (float) rnd.nextGaussian();
    }
    return p;
  }

  private short[] bf16Parameters() {
    short[] bits = new short[length];
    for (int i = 0; i < length; i++) {
      bits[i] = (short) (i * 7919 + index * 131 + 13);
    }
    return bits;
  }

  @Override
  public String toString() {
    return "#" + index + " " + kind + " " + dtype + " of " + length + " elements";
  }
}
