package org.olmo4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.olmo4j.io.Bf16;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.model.ShardPlan;

/**
 * The vocabulary-sharded lookup over 3 in-process ranks, on a table whose pieces cut rows in two:
 * each rank gets exactly the rows of its tokens (bf16-rounded under amp_bf16), and each rank's
 * piece of the gradient is the scatter-add of every rank's embedding gradients, in rank and token
 * order.
 */
class ShardedLookupTest {

  private static final int RANKS = 3;
  private static final int ROWS = 11;
  private static final int D = 4;
  private static final int TOKENS = 5;

  @ParameterizedTest(name = "bf16 = {0}")
  @ValueSource(booleans = {false, true})
  void eachRankGetsItsRowsAndEachPieceItsGradient(boolean bf16) throws Exception {
    SplittableRandom rnd = new SplittableRandom(7);
    float[] table = new float[ROWS * D];
    for (int i = 0; i < table.length; i++) {
      table[i] = (float) rnd.nextGaussian();
    }
    long[][] tokens = new long[RANKS][TOKENS];
    float[][] dy = new float[RANKS][TOKENS * D];
    for (int r = 0; r < RANKS; r++) {
      for (int t = 0; t < TOKENS; t++) {
        tokens[r][t] = t == 0 ? 3 : rnd.nextInt(ROWS); // row 3 on every rank: repeated tokens
      }
      for (int i = 0; i < dy[r].length; i++) {
        dy[r][i] = (float) rnd.nextGaussian();
      }
    }
    List<float[][]> results = InProcessRanks.run(RANKS, ex -> {
      int r = ex.rank();
      FlatLayout.Range piece = ShardPlan.slice(table.length, r, RANKS);
      // The master array holds other units before the table's piece: it starts at 2.
      float[] master = new float[2 + (int) piece.length()];
      System.arraycopy(table, (int) piece.start(), master, 2, (int) piece.length());
      float[] shardGrads = new float[master.length];
      shardGrads[2] = 1f; // what an earlier part of the gradient left there
      try (UnitCollectives c = new UnitCollectives(ex, null, bf16);
          ShardedLookup lookup = new ShardedLookup(c, D, table.length, bf16)) {
        float[] rows = lookup.forward(tokens[r], master, 2);
        lookup.backward(dy[r], shardGrads, 2);
        return new float[][] {rows, shardGrads};
      }
    });
    for (int r = 0; r < RANKS; r++) {
      float[][] got = results.get(r);
      float[] expectedRows = new float[TOKENS * D];
      for (int t = 0; t < TOKENS; t++) {
        for (int j = 0; j < D; j++) {
          float v = table[(int) tokens[r][t] * D + j];
          expectedRows[t * D + j] = bf16 ? Bf16.round(v) : v;
        }
      }
      assertArrayEquals(expectedRows, got[0], "rank " + r + "'s embeddings, bit for bit");
      // What the rank's piece held (1 at its first element), plus every rank's embedding
      // gradients that fall in the piece, in rank order, then token order.
      FlatLayout.Range piece = ShardPlan.slice(table.length, r, RANKS);
      float[] expectedShard = new float[got[1].length];
      expectedShard[2] = 1f;
      for (int s = 0; s < RANKS; s++) {
        for (int t = 0; t < TOKENS; t++) {
          for (int j = 0; j < D; j++) {
            long e = tokens[s][t] * D + j;
            if (e >= piece.start() && e < piece.end()) {
              expectedShard[2 + (int) (e - piece.start())] += dy[s][t * D + j];
            }
          }
        }
      }
      assertArrayEquals(expectedShard, got[1], "rank " + r + "'s piece of the gradient");
    }
  }

  @Test
  void itPaysWhenTheGroupsTokensAreNoMoreThanTheTableRows() {
    assertTrue(ShardedLookup.pays(2, 2048, 50304), "olmo-tiny: 2 ranks x 2048 tokens");
    assertTrue(ShardedLookup.pays(8, 8192, 100352), "OLMo 2 7B's micro-batch, 8 ranks");
    assertFalse(ShardedLookup.pays(8, 16384, 50304), "OLMo-1B's micro-batch, 8 ranks");
    assertFalse(ShardedLookup.pays(1, 1, (1 << 24) + 1), "ids beyond fp32's exact integers");
    assertTrue(ShardedLookup.pays(2, 32, 64), "the boundary: N·T = V");
  }
}
