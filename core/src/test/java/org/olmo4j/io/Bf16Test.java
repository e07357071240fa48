package org.olmo4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class Bf16Test {

  private static int bf(int floatBits) {
    return Bf16.fromFloat(Float.intBitsToFloat(floatBits)) & 0xffff;
  }

  @Test
  void exactValuesAndRoundTrip() {
    assertEquals(0x3f80, Bf16.fromFloat(1.0f) & 0xffff);
    assertEquals(0xc000, Bf16.fromFloat(-2.0f) & 0xffff);
    assertEquals(0x8000, Bf16.fromFloat(-0.0f) & 0xffff);
    assertEquals(0x0000, Bf16.fromFloat(0.0f) & 0xffff);
    for (int b = 0; b < 0x10000; b++) {
      float f = Bf16.toFloat((short) b);
      int expected = Float.isNaN(f) ? 0x7fc0 : b;
      assertEquals(expected, Bf16.fromFloat(f) & 0xffff, "bf16 bits " + Integer.toHexString(b));
    }
  }

  @Test
  void tiesGoToEven() {
    assertEquals(0x3f80, bf(0x3f808000)); // tie, 0x3f80 is even
    assertEquals(0x3f82, bf(0x3f818000)); // tie, 0x3f81 is odd → up
    assertEquals(0x3f81, bf(0x3f808001)); // just above the tie
    assertEquals(0x3f80, bf(0x3f807fff)); // just below the tie
    assertEquals(0xbf82, bf(0xbf818000)); // negative ties too
  }

  @Test
  void maxFiniteAndOverflow() {
    assertEquals(3.3895314e38f, Bf16.toFloat((short) 0x7f7f));
    assertEquals(0x7f7f, bf(0x7f7f7fff)); // rounds down to the largest finite bf16
    assertEquals(0x7f80, bf(0x7f7f8000)); // tie with odd 0x7f7f → infinity
    assertEquals(0x7f80, Bf16.fromFloat(Float.MAX_VALUE) & 0xffff);
    assertEquals(0xff80, Bf16.fromFloat(-Float.MAX_VALUE) & 0xffff);
    assertEquals(0x7f80, Bf16.fromFloat(Float.POSITIVE_INFINITY) & 0xffff);
    assertEquals(0xff80, Bf16.fromFloat(Float.NEGATIVE_INFINITY) & 0xffff);
  }

  @Test
  void subnormals() {
    assertEquals(0x0000, bf(0x00000001)); // smallest float subnormal → +0
    assertEquals(0x0000, bf(0x00008000)); // tie → even 0
    assertEquals(0x0001, bf(0x00008001));
    assertEquals(0x0002, bf(0x00018000)); // tie with odd → up
    assertEquals(0x8001, bf(0x80010000)); // negative subnormal, exact
    assertEquals(0x0080, bf(0x007fffff)); // largest subnormal rounds up to the smallest normal
    assertEquals(Float.intBitsToFloat(0x00010000), Bf16.toFloat((short) 1));
  }

  @Test
  void nanStaysQuietNan() {
    assertEquals(0x7fc0, Bf16.fromFloat(Float.NaN) & 0xffff);
    assertEquals(0x7fc0, bf(0x7f800001)); // signalling NaN whose payload would round to infinity
    assertEquals(0x7fc0, bf(0xffc00000)); // negative NaN
    assertEquals(0x7fc0, bf(0x7fffffff)); // would carry into the sign bit without the NaN check
    assertTrue(Float.isNaN(Bf16.toFloat((short) 0x7fc0)));
  }

  @Test
  void nearestOnASweepOfAllFloats() {
    for (long bits = 0; bits <= 0xffffffffL; bits += 65_521) {
      float f = Float.intBitsToFloat((int) bits);
      if (Float.isNaN(f) || Float.isInfinite(f)) {
        continue;
      }
      int lo = (int) (bits >>> 16);
      double below = Bf16.toFloat((short) lo);
      double above = Bf16.toFloat((short) (lo + 1)); // next bf16 away from zero
      if (Double.isInfinite(above)) {
        above = Math.copySign(0x1p128, f); // IEEE: round as if the exponent were unbounded
      }
      double dBelow = Math.abs(f - below);
      double dAbove = Math.abs(above - f);
      int expected = dBelow < dAbove ? lo : dAbove < dBelow ? lo + 1 : (lo % 2 == 0 ? lo : lo + 1);
      assertEquals(expected & 0xffff, Bf16.fromFloat(f) & 0xffff, "float bits " + Long.toHexString(bits));
    }
  }

  @Test
  void arrayVersions() {
    float[] src = {1.0f, 1.00390625f, -3.14159f, 65504f};
    short[] bits = new short[6];
    Bf16.fromFloats(src, 0, bits, 2, 4);
    float[] back = new float[4];
    Bf16.toFloats(bits, 2, back, 0, 4);
    for (int i = 0; i < 4; i++) {
      assertEquals(Bf16.round(src[i]), back[i]);
    }
    float[] inPlace = src.clone();
    Bf16.roundInPlace(inPlace, 0, 4);
    assertEquals(back[2], inPlace[2]);
    assertEquals(-3.140625f, back[2]);
  }

  @Test
  void fp16Widening() {
    assertEquals(1.0f, Fp16.toFloat((short) 0x3c00));
    assertEquals(-2.0f, Fp16.toFloat((short) 0xc000));
    assertEquals(65504f, Fp16.toFloat((short) 0x7bff));
    assertEquals(0x1p-24f, Fp16.toFloat((short) 0x0001));
    assertEquals(1023 * 0x1p-24f, Fp16.toFloat((short) 0x03ff));
    assertEquals(0x1p-14f, Fp16.toFloat((short) 0x0400));
    assertEquals(Float.POSITIVE_INFINITY, Fp16.toFloat((short) 0x7c00));
    assertEquals(Float.NEGATIVE_INFINITY, Fp16.toFloat((short) 0xfc00));
    assertTrue(Float.isNaN(Fp16.toFloat((short) 0x7e00)));
    assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(Fp16.toFloat((short) 0x8000)));
  }
}
