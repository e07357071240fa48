package org.olmo4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.olmo4j.io.Bf16;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.model.FlatVector;
import org.olmo4j.model.ShardPlan;

/**
 * A unit gathered whole and gathered in parts over 3 in-process ranks (pieces of 15, 15 and 14
 * elements, the last padded in bf16's single part; vectors in segments of 8, so copies cross
 * seams) holds, bit for bit, the master's values in fp32 and their bf16 roundings under
 * amp_bf16; also with more parts than a piece has elements (empty parts).
 */
class UnitCollectivesTest {

  private static final int RANKS = 3;
  private static final int LENGTH = 44;

  @ParameterizedTest(name = "bf16 = {0}, {1} parts")
  @CsvSource({"false, 1", "false, 4", "false, 20", "true, 4", "true, 20"})
  void aUnitGatheredInPartsIsTheUnitGatheredWhole(boolean bf16, int parts) throws Exception {
    SplittableRandom rnd = new SplittableRandom(11);
    float[] unit = new float[LENGTH];
    for (int i = 0; i < unit.length; i++) {
      unit[i] = (float) rnd.nextGaussian();
    }
    List<float[][]> results = InProcessRanks.run(RANKS, ex -> {
      FlatLayout.Range piece = ShardPlan.slice(LENGTH, ex.rank(), RANKS);
      // The master array holds other units before the unit's piece: it starts at 3.
      float[] master = new float[3 + (int) piece.length()];
      System.arraycopy(unit, (int) piece.start(), master, 3, (int) piece.length());
      try (UnitCollectives c = new UnitCollectives(ex, null, bf16);
          FlatVector whole = FlatVector.fp32(LENGTH, 8);
          FlatVector inParts = FlatVector.fp32(LENGTH, 8)) {
        c.gather(whole, master, 3);
        for (int p = 0; p < parts; p++) {
          c.gatherPart(inParts, master, 3, p, parts);
        }
        return new float[][] {whole.toFloatArray(), inParts.toFloatArray()};
      }
    });
    float[] expected = unit.clone();
    if (bf16) {
      Bf16.roundInPlace(expected, 0, expected.length);
    }
    for (int r = 0; r < RANKS; r++) {
      assertArrayEquals(expected, results.get(r)[0], "rank " + r + ", gathered whole");
      assertArrayEquals(expected, results.get(r)[1], "rank " + r + ", gathered in " + parts
          + " parts");
    }
  }
}
