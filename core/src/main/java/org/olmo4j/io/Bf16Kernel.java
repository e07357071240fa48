package org.olmo4j.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The bulk bf16 casts between fp32 arrays and the native-order buffers that bf16 bits travel in
 * (the all-gathers of amp_bf16 parameters). Two implementations give the same bits as {@link
 * Bf16#fromFloat} and {@link Bf16#toFloat}: SIMD (jdk.incubator.vector, when the JVM runs with
 * {@code --add-modules jdk.incubator.vector}, as {@code bin/olmo4j} does), or a scalar loop.
 */
public abstract class Bf16Kernel {

  /** The scalar kernel (what a JVM without the incubator module runs; tests compare the two). */
  public static final Bf16Kernel SCALAR = new Scalar();

  /** The SIMD kernel when the incubator module is present, else {@link #SCALAR}. */
  public static final Bf16Kernel BEST =
      VectorModule.kernel(Bf16Kernel.class, "org.olmo4j.io.SimdBf16Kernel", SCALAR);

  /**
   * Writes the bf16 bits of {@code src[off .. off + n)} (round to nearest even, every NaN the
   * quiet NaN) to the first {@code n} shorts of {@code dst} (native order, from index 0).
   */
  public abstract void narrow(float[] src, int off, ByteBuffer dst, int n);

  /**
   * Writes the floats of the first {@code n} bf16 values of {@code src} to {@code dst} (both
   * native order, from index 0).
   */
  public abstract void widen(ByteBuffer src, ByteBuffer dst, int n);

  /** The kernel's name. */
  public abstract String name();

  private static final class Scalar extends Bf16Kernel {
    @Override
    public void narrow(float[] src, int off, ByteBuffer dst, int n) {
      ByteBuffer d = dst.duplicate().order(ByteOrder.nativeOrder());
      for (int i = 0; i < n; i++) {
        d.putShort(i * Short.BYTES, Bf16.fromFloat(src[off + i]));
      }
    }

    @Override
    public void widen(ByteBuffer src, ByteBuffer dst, int n) {
      ByteBuffer s = src.duplicate().order(ByteOrder.nativeOrder());
      ByteBuffer d = dst.duplicate().order(ByteOrder.nativeOrder());
      for (int i = 0; i < n; i++) {
        d.putInt(i * Integer.BYTES, (s.getShort(i * Short.BYTES) & 0xffff) << 16);
      }
    }

    @Override
    public String name() {
      return "scalar";
    }
  }
}
