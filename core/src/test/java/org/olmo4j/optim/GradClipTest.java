package org.olmo4j.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class GradClipTest {

  @Test
  void normAndPartialSums() {
    float[] g = {3, 4, 0, 12, 1, 2, 2};
    assertEquals(9 + 16 + 144 + 1 + 4 + 4, GradClip.sumOfSquares(g), 0.0);
    assertEquals(Math.sqrt(178), GradClip.norm(g), 0.0);
    assertEquals(25.0, GradClip.sumOfSquares(g, 0, 2), 0.0);
    double a = GradClip.sumOfSquares(g, 0, 3);
    double b = GradClip.sumOfSquares(g, 3, 7);
    assertEquals(GradClip.norm(g), GradClip.normFromSumsOfSquares(a, b), 1e-12);
    assertEquals(0.0, GradClip.sumOfSquares(g, 4, 4), 0.0);
  }

  @Test
  void sumOfSquaresIsInDouble() {
    float[] g = new float[1000];
    java.util.Arrays.fill(g, 1e20f); // squares overflow float, not double
    assertEquals(1000 * (double) 1e20f * 1e20f, GradClip.sumOfSquares(g), 1e30);
  }

  @Test
  void clipCoefficientAsTorch() {
    assertEquals(1.0 / (10 + 1e-6), GradClip.clipCoefficient(10, 1), 0.0);
    assertEquals(1.0, GradClip.clipCoefficient(0.5, 1), 0.0);
    assertEquals(1.0 / (1 + 1e-6), GradClip.clipCoefficient(1.0, 1), 0.0); // torch clips at equality too
    assertEquals(2.0 / (4 + 1e-6), GradClip.clipCoefficient(4, 2), 0.0);
  }
}
