package org.olmo4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Both bulk kernels give {@link Bf16#fromFloat} and {@link Bf16#toFloat}'s bits, lane by lane. */
class Bf16KernelTest {

  @Test
  void testsRunTheSimdKernel() {
    assertTrue(Bf16Kernel.BEST != Bf16Kernel.SCALAR,
        "tests run with --add-modules=jdk.incubator.vector, so the SIMD kernel is chosen");
  }

  /**
   * A JVM without the incubator module (the tests' child JVMs, a plain {@code java -cp}) runs the
   * scalar kernel. The SIMD class's link failure was once answered with a field not yet
   * initialised: {@code BEST} was null there, and every amp_bf16 gather of such a rank failed.
   */
  @Test
  void aJvmWithoutTheVectorModuleRunsTheScalarKernel() throws Exception {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), WithoutTheModule.class.getName())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    assertEquals("scalar", out);
  }

  /** Prints the kernel a JVM chose after using it once. */
  static final class WithoutTheModule {
    public static void main(String[] args) {
      ByteBuffer bits = buffer(2 * Short.BYTES);
      Bf16Kernel.BEST.narrow(new float[] {1f, -2f}, 0, bits, 2);
      if (bits.getShort(0) != (short) 0x3f80 || bits.getShort(2) != (short) 0xc000) {
        throw new AssertionError("wrong bits");
      }
      System.out.println(Bf16Kernel.BEST.name());
    }
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
