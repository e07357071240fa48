package org.olmo4j.train;

/**
 * The collective operations a ZeRO step needs, over the ranks of one world. Implemented by the
 * data plane (in-process or network) and trivially for a single rank.
 *
 * <p>Every reduction sums in rank order, never in arrival order, so results are bit-identical run
 * to run for the same world size.
 */
public interface Collectives {

  int rank();

  int worldSize();

  /** Sum over ranks of {@code full} (Ψ elements each); this rank receives its shard's sum. */
  void reduceScatter(float[] full, float[] myShard);

  /** Concatenation of every rank's shard of bf16 bits into {@code full} (Ψ elements). */
  void allGatherBf16(short[] myShard, short[] full);

  /**
   * As {@link #allGatherBf16(short[], short[])} with this rank's shard already in its range of
   * {@code full}: that range is sent and left as it is, every other range is overwritten. Saves
   * copying the own shard (as NCCL's in-place all-gather): on loopback the exchange is CPU-bound,
   * so every copy adds to its time.
   */
  void allGatherBf16InPlace(short[] full);

  /** Concatenation of every rank's fp32 shard into {@code full} (Ψ elements). */
  void allGather(float[] myShard, float[] full);

  /** Element-wise sum over ranks of a few scalars. */
  double[] allReduceSum(double[] values);

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
      public void reduceScatter(float[] full, float[] myShard) {
        System.arraycopy(full, 0, myShard, 0, myShard.length);
      }

      @Override
      public void allGatherBf16(short[] myShard, short[] full) {
        System.arraycopy(myShard, 0, full, 0, full.length);
      }

      @Override
      public void allGatherBf16InPlace(short[] full) {
        // The only shard is the whole vector, already in place.
      }

      @Override
      public void allGather(float[] myShard, float[] full) {
        System.arraycopy(myShard, 0, full, 0, full.length);
      }

      @Override
      public double[] allReduceSum(double[] values) {
        return values.clone();
      }
    };
  }
}
