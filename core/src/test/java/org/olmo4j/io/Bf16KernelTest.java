package org.olmo4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Both bulk kernels give {@link Bf16#fromFloat} and {@link Bf16#toFloat}'s bits, lane by lane. */
class Bf16KernelTest {

  @Test
  void testsRunTheSimdKernel() {
    assertTrue(Bf16Kernel.BEST != Bf16Kernel.SCALAR,
        "tests run with --add-modules=jdk.incubator.vector, so the SIMD kernel is chosen");
  }

  @Test
  void narrowGivesTheScalarBitsForEveryKindOfFloat() {
    float[] src = specials(4099); // not a multiple of any lane count: the tail runs too
    for (Bf16Kernel k : new Bf16Kernel[] {Bf16Kernel.BEST, Bf16Kernel.SCALAR}) {
      for (int off : new int[] {0, 3}) {
        int n = src.length - off;
        ByteBuffer dst = buffer(n * Short.BYTES);
        k.narrow(src, off, dst, n);
        for (int i = 0; i < n; i++) {
          assertEquals(Bf16.fromFloat(src[off + i]), dst.getShort(i * Short.BYTES),
              k.name() + ": float bits " + Integer.toHexString(Float.floatToRawIntBits(src[off + i])));
        }
      }
    }
  }

  @Test
  void widenIsExactForEveryBf16Value() {
    int n = 0x10000 + 5;
    ByteBuffer bits = buffer(n * Short.BYTES);
    for (int i = 0; i < n; i++) {
      bits.putShort(i * Short.BYTES, (short) i);
    }
    for (Bf16Kernel k : new Bf16Kernel[] {Bf16Kernel.BEST, Bf16Kernel.SCALAR}) {
      ByteBuffer dst = buffer(n * Float.BYTES);
      k.widen(bits, dst, n);
      for (int i = 0; i < n; i++) {
        assertEquals(Float.floatToRawIntBits(Bf16.toFloat((short) i)), dst.getInt(i * Float.BYTES),
            k.name() + ": bf16 bits " + Integer.toHexString(i & 0xffff));
      }
    }
  }

  /** Ties, NaNs with every kind of payload, infinities, subnormals, signed zeros and random floats. */
  private static float[] specials(int n) {
    int[] edge = {0x3f808000, 0x3f818000, 0x3f808001, 0x3f807fff, 0xbf818000, 0x7f7f7fff,
        0x7f7f8000, 0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000, 0x7f800001, 0x7fc00000,
        0xffc00000, 0x7fffffff, 0xffffffff, 0x00000001, 0x00008000, 0x00008001, 0x00018000,
        0x80010000, 0x007fffff, 0x00000000, 0x80000000};
    SplittableRandom random = new SplittableRandom(5);
    float[] f = new float[n];
    for (int i = 0; i < n; i++) {
      int e = edge[i % edge.length];
      f[i] = Float.intBitsToFloat(i < edge.length ? e : i < 2 * edge.length ? e ^ 0x80000000
          : random.nextInt()); // each edge, its negation, then random bits
    }
    return f;
  }

  private static ByteBuffer buffer(int bytes) {
    return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
  }
}
