package org.olmo4j.exchange;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import org.olmo4j.io.VectorModule;

/**
 * The arithmetic of a reduce-scatter fold on one block: a peer's payload (and this rank's own
 * contribution, when it is folded with it) added into the shard in rank order. Two
 * implementations give bit-identical results (the same IEEE additions in the same order): SIMD
 * loads straight from the socket's buffer and the gradient vector (jdk.incubator.vector, when the
 * JVM runs with {@code --add-modules jdk.incubator.vector}, as {@code bin/olmo4j} does), or bulk
 * copies into heap scratch arrays and loops the JIT vectorizes.
 */
abstract class FoldKernel {

  /** Elements per call at most: 64 KiB of fp32 stays in L1/L2 while it is summed. */
  static final int BLOCK = 16 << 10;

  /** The SIMD kernel when the incubator module is present, else the scalar one. */
  static final FoldKernel BEST =
      VectorModule.kernel(FoldKernel.class, "org.olmo4j.exchange.SimdFoldKernel", new Scalar());

  /**
   * {@code shard[at, at + n)} gets the payload's {@code n} floats from byte {@code payloadAt} of
   * {@code payload} and, unless null, {@code own}'s first {@code n} floats (both little-endian):
   * {@code first}: no partial sum yet (the shard's old values are ignored); {@code ownBefore}:
   * own is added before the payload, else after it.
   */
  abstract void fold(float[] shard, int at, ByteBuffer payload, int payloadAt, ByteBuffer own,
      boolean ownBefore, boolean first, int n);

  /**
   * A two-rank sum added to an accumulator: {@code acc[at + i] += own[i] + payload[i]} (the one
   * addition of the sum first, then the accumulation), for {@code n} floats from byte {@code
   * payloadAt} of {@code payload} and from {@code own} (both little-endian).
   */
  abstract void foldAdd(float[] acc, int at, ByteBuffer payload, int payloadAt, ByteBuffer own,
      int n);

  /** The kernel's name, for the benchmark's header. */
  abstract String name();

  /** Bulk copies into scratch arrays, then loops over heap arrays. */
  static final class Scalar extends FoldKernel {
    private final ThreadLocal<float[][]> scratch =
        ThreadLocal.withInitial(() -> new float[][] {new float[BLOCK], new float[BLOCK]});

    @Override
    void fold(float[] shard, int at, ByteBuffer payload, int payloadAt, ByteBuffer own,
        boolean ownBefore, boolean first, int n) {
      FloatBuffer src = payload.asFloatBuffer();
      int p = payloadAt / Float.BYTES;
      if (first && own == null) {
        src.get(p, shard, at, n);
        return;
      }
      float[][] s = scratch.get();
      float[] x = s[0];
      src.get(p, x, 0, n);
      if (own == null) {
        RankOrderSum.add(shard, at, x, 0, n);
        return;
      }
      float[] o = s[1];
      own.asFloatBuffer().get(0, o, 0, n);
      if (first) {
        RankOrderSum.sum(shard, at, o, 0, x, 0, n); // one addition: its order does not matter
      } else if (ownBefore) {
        RankOrderSum.add(shard, at, o, 0, x, 0, n);
      } else {
        RankOrderSum.add(shard, at, x, 0, o, 0, n);
      }
    }

    @Override
    void foldAdd(float[] acc, int at, ByteBuffer payload, int payloadAt, ByteBuffer own, int n) {
      float[][] s = scratch.get();
      float[] x = s[0];
      float[] o = s[1];
      payload.asFloatBuffer().get(payloadAt / Float.BYTES, x, 0, n);
      own.asFloatBuffer().get(0, o, 0, n);
      RankOrderSum.addSum(acc, at, o, x, n);
    }

    @Override
    String name() {
      return "scalar (heap scratch)";
    }
  }
}
