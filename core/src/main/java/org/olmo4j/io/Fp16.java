package org.olmo4j.io;

/** IEEE 754 half precision (F16) → float widening, exact for every half value. */
public final class Fp16 {

  private Fp16() {}

  /** The float value of half-precision bits {@code h}. */
  public static float toFloat(short h) {
    int bits = h & 0xffff;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0) {
      float magnitude = mant * 0x1p-24f; // zero or subnormal: mant · 2^-24, exact in float
      return sign != 0 ? -magnitude : magnitude;
    }
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13)); // inf or NaN (payload kept)
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }
}
