package org.olmo4j.io;

/**
 * bfloat16 ↔ float conversion, bit-compatible with PyTorch's {@code c10::BFloat16}.
 *
 * <p>float → bf16 rounds to nearest, ties to even; every NaN becomes the quiet NaN {@code 0x7FC0}
 * (as torch does); overflow past the largest finite bf16 gives ±infinity.
 */
public final class Bf16 {

  private Bf16() {}

  /** The bf16 bit pattern nearest to {@code f} (round to nearest even). */
  public static short fromFloat(float f) {
    int bits = Float.floatToRawIntBits(f);
    if ((bits & 0x7fffffff) > 0x7f800000) {
      return (short) 0x7fc0;
    }
    int roundingBias = 0x7fff + ((bits >>> 16) & 1);
    return (short) ((bits + roundingBias) >>> 16);
  }

  /** The float value of bf16 bits {@code b} (exact). */
  public static float toFloat(short b) {
    return Float.intBitsToFloat((b & 0xffff) << 16);
  }

  /** {@code f} rounded to the nearest bf16 value, as a float. */
  public static float round(float f) {
    return toFloat(fromFloat(f));
  }

  /** Converts {@code n} floats from {@code src[srcOff..]} into bf16 bits at {@code dst[dstOff..]}. */
  public static void fromFloats(float[] src, int srcOff, short[] dst, int dstOff, int n) {
    for (int i = 0; i < n; i++) {
      dst[dstOff + i] = fromFloat(src[srcOff + i]);
    }
  }

  /** Widens {@code n} bf16 values from {@code src[srcOff..]} into {@code dst[dstOff..]}. */
  public static void toFloats(short[] src, int srcOff, float[] dst, int dstOff, int n) {
    for (int i = 0; i < n; i++) {
      dst[dstOff + i] = toFloat(src[srcOff + i]);
    }
  }

  /** Rounds every element of {@code a[off..off+n)} to bf16 precision in place. */
  public static void roundInPlace(float[] a, int off, int n) {
    for (int i = off; i < off + n; i++) {
      a[i] = round(a[i]);
    }
  }
}
