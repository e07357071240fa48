package org.olmo4j.exchange;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.olmo4j.exchange.TensorExchangeContractTest.OPTIONS;
import static org.olmo4j.exchange.TensorExchangeContractTest.assertBitsEqual;
import static org.olmo4j.exchange.TensorExchangeContractTest.gradient;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.olmo4j.exchange.TensorExchangeContractTest.RankBody;
import org.olmo4j.model.FlatVector;

/**
 * {@link TensorExchange#reduceScatterAdd}: FULL_SHARD's reduce-scatter of a unit gradient into
 * the step's gradient shard. Part of the contract suite: {@link TensorExchangeContractTest}
 * implements it, so each implementation's subclass runs these tests too.
 */
interface ReduceScatterAddContract {

  /** A world of {@code n} ranks for {@code generation}, closed after the test. */
  List<TensorExchange> world(int n, long generation, ExchangeOptions options);

  /** {@code body} run on every rank of {@code world}; their results in rank order. */
  <T> List<T> onAll(List<TensorExchange> world, RankBody<T> body) throws Exception;

  /**
   * A micro-batch's unit gradient added to the step's shard: exactly the reduce-scatter's piece
   * added afterwards ({@code acc + (x0 + x1 + ...)}), at an offset inside a longer array, the
   * elements around it untouched; twice in a row, as two micro-batches.
   */
  @ParameterizedTest(name = "N={0} Ψ={1} viewed={2}")
  @CsvSource({"1,10,false", "2,11,false", "2,70000,false", "3,3000,false", "4,1001,false",
      "2,70000,true", "3,70000,true"})
  default void reduceScatterAddAddsTheRankOrderSumAfterItIsTaken(int n, int psi, boolean viewed)
      throws Exception {
    List<TensorExchange> w = world(n, 1, OPTIONS);
    ShardRanges ranges = new ShardRanges(psi, n);
    int at = 5;
    List<float[]> accs = onAll(w, ex -> {
      float[] acc = start(ranges.length(ex.rank()) + at + 3);
      for (int micro = 0; micro < 2; micro++) {
        float[] g = gradient(ex.rank() + 10 * micro, psi);
        ex.reduceScatterAdd(viewed ? viewing(g) : FlatVector.of(g), acc, at);
      }
      return acc;
    });
    for (int r = 0; r < n; r++) {
      int len = ranges.length(r);
      float[] want = start(len + at + 3);
      for (int micro = 0; micro < 2; micro++) {
        float[] sum = gradient(10 * micro, psi);
        for (int q = 1; q < n; q++) {
          float[] g = gradient(q + 10 * micro, psi);
          for (int i = 0; i < psi; i++) {
            sum[i] += g[i];
          }
        }
        for (int i = 0; i < len; i++) {
          want[at + i] += sum[(int) ranges.start(r) + i];
        }
      }
      assertBitsEqual(want, accs.get(r), "rank " + r + " accumulator");
    }
  }

  /**
   * {@code g} in buffers of uneven lengths, as autograd's gradient tensors are reduce-scattered:
   * seams fall inside fold blocks and frames.
   */
  static FlatVector viewing(float[] g) {
    List<ByteBuffer> parts = new ArrayList<>();
    Random rnd = new Random(g.length);
    for (int done = 0; done < g.length; ) {
      int n = Math.min(g.length - done, 1 + rnd.nextInt(9000));
      ByteBuffer b = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder());
      b.asFloatBuffer().put(g, done, n);
      parts.add(b);
      done += n;
    }
    return FlatVector.viewing(parts.toArray(new ByteBuffer[0]));
  }

  /** Arguments that do not fit are refused before anything is exchanged or written. */
  @Test
  default void reduceScatterAddRefusesAnAccumulatorTooShort() throws Exception {
    List<TensorExchange> w = world(2, 1, OPTIONS);
    float[] acc = start(4);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> w.get(0).reduceScatterAdd(FlatVector.of(gradient(0, 10)), acc, 1));
    assertTrue(e.getMessage().contains("adds its 5 of 10 elements at 1 of an array of 4"),
        e.getMessage());
    assertBitsEqual(start(4), acc, "the accumulator");
  }

  static float[] start(int length) {
    float[] a = new float[length];
    for (int i = 0; i < length; i++) {
      a[i] = 1000f + i * 0.001f;
    }
    return a;
  }
}
