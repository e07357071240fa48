package org.olmo4j.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Bf16Kernel} in SIMD lanes, straight between the arrays and the buffers: a float's bits
 * plus the rounding bias, shifted down and narrowed to a short; a short widened and shifted up.
 * The elements past the last whole vector go through {@link #SCALAR}. Loaded only when
 * jdk.incubator.vector is in the boot layer.
 */
final class SimdBf16Kernel extends Bf16Kernel {

  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
  /** As many shorts as {@link #I} has ints. */
  private static final VectorSpecies<Short> S =
      VectorSpecies.of(short.class, VectorShape.forBitSize(I.vectorBitSize() / 2));
  private static final ByteOrder ORDER = ByteOrder.nativeOrder();

  @Override
  public void narrow(float[] src, int off, ByteBuffer dst, int n) {
    int step = I.length();
    int bound = n - n % step;
    int i = 0;
    for (; i < bound; i += step) {
      IntVector bits = FloatVector.fromArray(F, src, off + i).reinterpretAsInts();
      VectorMask<Integer> nan = bits.and(0x7fffffff).compare(VectorOperators.GT, 0x7f800000);
      IntVector bias = bits.lanewise(VectorOperators.LSHR, 16).and(1).add(0x7fff);
      IntVector rounded = bits.add(bias).lanewise(VectorOperators.LSHR, 16).blend(0x7fc0, nan);
      rounded.convertShape(VectorOperators.I2S, S, 0).reinterpretAsShorts()
          .intoByteBuffer(dst, i * Short.BYTES, ORDER);
    }
    if (i < n) {
      SCALAR.narrow(src, off + i, dst.slice(i * Short.BYTES, (n - i) * Short.BYTES), n - i);
    }
  }

  @Override
  public void widen(ByteBuffer src, ByteBuffer dst, int n) {
    int step = I.length();
    int bound = n - n % step;
    int i = 0;
    for (; i < bound; i += step) {
      ShortVector bits = ShortVector.fromByteBuffer(S, src, i * Short.BYTES, ORDER);
      ((IntVector) bits.convertShape(VectorOperators.S2I, I, 0))
          .lanewise(VectorOperators.LSHL, 16).intoByteBuffer(dst, i * Integer.BYTES, ORDER);
    }
    if (i < n) {
      SCALAR.widen(src.slice(i * Short.BYTES, (n - i) * Short.BYTES),
          dst.slice(i * Integer.BYTES, (n - i) * Integer.BYTES), n - i);
    }
  }

  @Override
  public String name() {
    return "SIMD " + I.vectorBitSize() + "-bit (jdk.incubator.vector)";
  }
}
