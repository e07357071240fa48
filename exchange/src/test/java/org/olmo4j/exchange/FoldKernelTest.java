package org.olmo4j.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The SIMD fold kernel gives the scalar kernel's bits in every mode, tails included. */
class FoldKernelTest {

  @ParameterizedTest(name = "first={0} own={1} ownBefore={2} n={3}")
  @CsvSource({
      "true,  false, false, 1000", "false, false, false, 1000", "true,  true,  true,  1003",
      "true,  true,  false, 1003", "false, true,  true,  777", "false, true,  false, 16384",
      "false, true,  true,  5", "false, false, false, 3"})
  void simdAndScalarAgreeBitForBit(boolean first, boolean withOwn, boolean ownBefore, int n) {
    assertTrue(FoldKernel.BEST instanceof SimdFoldKernel,
        "tests run with --add-modules=jdk.incubator.vector, so the SIMD kernel is chosen");
    int at = 7;
    int payloadAt = 12; // bytes: an unaligned start inside the socket buffer
    Inputs in = Inputs.random(n, at, payloadAt, 1f);
    ByteBuffer payload = in.payload();
    ByteBuffer own = in.own();
    float[] start = in.start();
    float[] scalar = start.clone();
    float[] simd = start.clone();
    new FoldKernel.Scalar().fold(scalar, at, payload, payloadAt, withOwn ? own : null, ownBefore, first, n);
    FoldKernel.BEST.fold(simd, at, payload, payloadAt, withOwn ? own : null, ownBefore, first, n);
    for (int i = 0; i < at + n; i++) {
      assertEquals(Float.floatToRawIntBits(scalar[i]), Float.floatToRawIntBits(simd[i]), "element " + i);
    }
    // and the scalar kernel is the rank-order sum
    float x = payload.getFloat(payloadAt);
    float o = own.getFloat(0);
    float s = start[at];
    float expected = first ? (withOwn ? o + x : x)
        : (withOwn ? (ownBefore ? (s + o) + x : (s + x) + o) : s + x);
    assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(scalar[at]));
  }

  /** Adding a two-rank sum: the pair's sum first, then the accumulation, the same bits both ways. */
  @ParameterizedTest(name = "n={0}")
  @ValueSource(ints = {1, 5, 1003, 16384})
  void simdAndScalarAddTheSamePairSums(int n) {
    int at = 3;
    int payloadAt = 8;
    Inputs in = Inputs.random(n, at, payloadAt, 1e4f);
    ByteBuffer payload = in.payload();
    ByteBuffer own = in.own();
    float[] start = in.start();
    float[] scalar = start.clone();
    float[] simd = start.clone();
    new FoldKernel.Scalar().foldAdd(scalar, at, payload, payloadAt, own, n);
    FoldKernel.BEST.foldAdd(simd, at, payload, payloadAt, own, n);
    for (int i = 0; i < at + n; i++) {
      assertEquals(Float.floatToRawIntBits(scalar[i]), Float.floatToRawIntBits(simd[i]), "element " + i);
      float expected = i < at ? start[i]
          : start[i] + (own.getFloat((i - at) * 4) + payload.getFloat(payloadAt + (i - at) * 4));
      assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(scalar[i]), "element " + i);
    }
  }

  /**
   * A payload of small values from byte {@code payloadAt} of a socket buffer, an own contribution
   * of large ones and a shard of values of about {@code scale} from index {@code at}: summation
   * orders differ in their bits.
   */
  private record Inputs(ByteBuffer payload, ByteBuffer own, float[] start) {
    static Inputs random(int n, int at, int payloadAt, float scale) {
      SplittableRandom rnd = new SplittableRandom(n);
      ByteBuffer payload = ByteBuffer.allocateDirect(payloadAt + n * 4).order(ByteOrder.LITTLE_ENDIAN);
      ByteBuffer own = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder());
      float[] start = new float[at + n];
      for (int i = 0; i < n; i++) {
        payload.putFloat(payloadAt + i * 4, (float) rnd.nextGaussian() * 1e-3f);
        own.putFloat(i * 4, (float) rnd.nextGaussian() * 1e3f);
        start[at + i] = (float) rnd.nextGaussian() * scale;
      }
      return new Inputs(payload, own, start);
    }
  }
}
