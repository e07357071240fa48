package org.olmo4j.exchange;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.olmo4j.model.FlatVector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The contract every {@link TensorExchange} implementation satisfies; one subclass per implementation. */
abstract class TensorExchangeContractTest
    implements ExchangeFailureContract, ReduceScatterAddContract {

  static final ExchangeOptions OPTIONS = ExchangeOptions.DEFAULTS
      .withTimeout(Duration.ofSeconds(3)).withChunkBytes(4096);

  /** What one rank does in a test. */
  interface RankBody<T> {
    T run(TensorExchange ex) throws Exception;
  }

  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final List<ExecutorService> rankThreads = new ArrayList<>();
  final List<TensorExchange> opened = new ArrayList<>();

  /** A world of {@code n} ranks for {@code generation}; may be called again for a newer generation. */
  protected abstract List<TensorExchange> newWorld(int n, long generation, ExchangeOptions options);

  @AfterEach
  void closeAll() {
    opened.forEach(TensorExchange::close);
    threads.shutdownNow();
    rankThreads.forEach(ExecutorService::shutdownNow);
  }

  @Override
  public List<TensorExchange> world(int n, long generation, ExchangeOptions options) {
    List<TensorExchange> w = newWorld(n, generation, options);
    opened.addAll(w);
    for (int r = 0; r < n; r++) {
      assertEquals(r, w.get(r).rank());
      assertEquals(n, w.get(r).worldSize());
      assertEquals(generation, w.get(r).generation());
    }
    return w;
  }

  @Override
  public <T> List<Future<T>> start(List<TensorExchange> ranks, RankBody<T> body) {
    List<Future<T>> out = new ArrayList<>();
    for (TensorExchange ex : ranks) {
      out.add(threads.submit(() -> body.run(ex)));
    }
    return out;
  }

  @Override
  public <T> List<T> onAll(List<TensorExchange> world, RankBody<T> body) throws Exception {
    List<T> results = new ArrayList<>();
    for (Future<T> f : start(world, body)) {
      results.add(f.get(20, TimeUnit.SECONDS));
    }
    return results;
  }

  /** Values spanning many magnitudes, so that a different summation order changes the bits. */
  static float[] gradient(int rank, int psi) {
    Random rnd = new Random(1000 + rank);
    float[] g = new float[psi];
    for (int i = 0; i < psi; i++) {
      g[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(9) - 4));
    }
    return g;
  }

  static float[] rankOrderSum(int n, int psi) {
    float[] sum = gradient(0, psi);
    for (int r = 1; r < n; r++) {
      float[] g = gradient(r, psi);
      for (int i = 0; i < psi; i++) {
        sum[i] += g[i];
      }
    }
    return sum;
  }

  static void assertBitsEqual(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what + " length");
    for (int i = 0; i < expected.length; i++) {
      if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
        throw new AssertionError(what + ": element " + i + " expected " + expected[i] + ", got " + actual[i]);
      }
    }
  }

  @ParameterizedTest(name = "N={0} Ψ={1}")
  @CsvSource({"1,10", "2,11", "3,10", "3,3000", "4,1001", "4,3", "3,0"})
  void reduceScatterIsTheRankOrderSumOfEachShard(int n, int psi) throws Exception {
    List<TensorExchange> w = world(n, 1, OPTIONS);
    ShardRanges ranges = new ShardRanges(psi, n);
    List<float[]> shards = onAll(w, ex -> {
      float[] shard = new float[ranges.length(ex.rank())];
      ex.reduceScatter(gradient(ex.rank(), psi), shard);
      return shard;
    });
    float[] expected = rankOrderSum(n, psi);
    for (int r = 0; r < n; r++) {
      float[] want = java.util.Arrays.copyOfRange(expected, (int) ranges.start(r), (int) ranges.end(r));
      assertBitsEqual(want, shards.get(r), "rank " + r + " shard");
    }
  }

  @ParameterizedTest(name = "N={0} Ψ={1}")
  @CsvSource({"1,7", "2,11", "3,2000", "4,3", "4,0"})
  void allGatherReturnsEveryShardInPlace(int n, int psi) throws Exception {
    List<TensorExchange> w = world(n, 1, OPTIONS);
    ShardRanges ranges = new ShardRanges(psi, n);
    short[] bits = new short[psi];
    float[] values = gradient(7, psi);
    for (int i = 0; i < psi; i++) {
      bits[i] = (short) (i * 7919 + 13);
    }
    List<Object[]> got = onAll(w, ex -> {
      int s = (int) ranges.start(ex.rank());
      int e = (int) ranges.end(ex.rank());
      short[] fullBits = new short[psi];
      float[] full = new float[psi];
      ex.allGatherBf16(java.util.Arrays.copyOfRange(bits, s, e), fullBits);
      ex.allGather(java.util.Arrays.copyOfRange(values, s, e), full);
      return new Object[] {fullBits, full};
    });
    for (int r = 0; r < n; r++) {
      assertArrayEquals(bits, (short[]) got.get(r)[0], "bf16 bits on rank " + r);
      assertBitsEqual(values, (float[]) got.get(r)[1], "fp32 on rank " + r);
    }
  }

  @ParameterizedTest(name = "N={0} Ψ={1}")
  @CsvSource({"1,7", "2,11", "3,10000", "4,3", "4,0"})
  void inPlaceBf16AllGatherSendsTheOwnRangeAndOverwritesTheOthers(int n, int psi) throws Exception {
    List<TensorExchange> w = world(n, 1, OPTIONS);
    ShardRanges ranges = new ShardRanges(psi, n);
    short[] bits = new short[psi];
    for (int i = 0; i < psi; i++) {
      bits[i] = (short) (i * 7919 + 13);
    }
    List<short[]> got = onAll(w, ex -> {
      int s = (int) ranges.start(ex.rank());
      int e = (int) ranges.end(ex.rank());
      short[] full = new short[psi];
      java.util.Arrays.fill(full, (short) (0x7777 + ex.rank())); // stale values from a last step
      System.arraycopy(bits, s, full, s, e - s);
      ex.allGatherBf16InPlace(full);
      return full;
    });
    for (int r = 0; r < n; r++) {
      assertArrayEquals(bits, got.get(r), "bf16 bits on rank " + r);
    }
  }

  /**
   * Full vectors in segments of different sizes on each rank (64, 128, 256 … elements), so that
   * sends, receives, and the reduce-scatter's reads of the own contribution all cross seams.
   */
  @ParameterizedTest(name = "N={0} Ψ={1}")
  @CsvSource({"2,1001", "3,5000", "4,777"})
  void segmentedVectorsGiveTheSameBits(int n, int psi) throws Exception {
    List<TensorExchange> w = world(n, 1, OPTIONS);
    ShardRanges ranges = new ShardRanges(psi, n);
    float[] values = gradient(9, psi);
    short[] bits = new short[psi];
    for (int i = 0; i < psi; i++) {
      bits[i] = (short) (i * 31 + 5);
    }
    List<Object[]> got = onAll(w, ex -> {
      int seg = 64 << ex.rank();
      int s = (int) ranges.start(ex.rank());
      int len = ranges.length(ex.rank());
      FlatVector grads = FlatVector.fp32(psi, seg);
      grads.put(0, gradient(ex.rank(), psi), 0, psi);
      float[] shard = new float[len];
      ex.reduceScatter(grads, shard);
      FlatVector params = FlatVector.fp32(psi, seg);
      params.put(s, values, s, len);
      ex.allGatherInPlace(params);
      FlatVector half = FlatVector.bf16(psi, seg);
      half.put(s, bits, s, len);
      ex.allGatherInPlace(half);
      return new Object[] {shard, params.toFloatArray(), half.toShortArray()};
    });
    float[] expected = rankOrderSum(n, psi);
    for (int r = 0; r < n; r++) {
      float[] want = java.util.Arrays.copyOfRange(expected, (int) ranges.start(r), (int) ranges.end(r));
      assertBitsEqual(want, (float[]) got.get(r)[0], "rank " + r + " reduce-scatter shard");
      assertBitsEqual(values, (float[]) got.get(r)[1], "rank " + r + " fp32 all-gather");
      assertArrayEquals(bits, (short[]) got.get(r)[2], "rank " + r + " bf16 all-gather");
    }
  }

  @Test
  void bothFormsOfTheBf16AllGatherMeetOnTheWire() throws Exception {
    int psi = 9001;
    List<TensorExchange> w = world(3, 1, OPTIONS);
    ShardRanges ranges = new ShardRanges(psi, 3);
    short[] bits = new short[psi];
    for (int i = 0; i < psi; i++) {
      bits[i] = (short) (i * 31 - 5);
    }
    List<short[]> got = onAll(w, ex -> {
      int s = (int) ranges.start(ex.rank());
      int e = (int) ranges.end(ex.rank());
      short[] full = new short[psi];
      if (ex.rank() == 1) {
        ex.allGatherBf16(java.util.Arrays.copyOfRange(bits, s, e), full);
      } else {
        System.arraycopy(bits, s, full, s, e - s);
        ex.allGatherBf16InPlace(full);
      }
      return full;
    });
    for (int r = 0; r < 3; r++) {
      assertArrayEquals(bits, got.get(r), "bf16 bits on rank " + r);
    }
  }

  @Test
  void allReduceSumsInRankOrderOnEveryRank() throws Exception {
    List<TensorExchange> w = world(3, 1, OPTIONS);
    double[][] parts = {{1e17, 2.5, 0.1}, {-1e17, 1e-3, 0.2}, {1.0, -7.0, 0.3}};
    List<double[]> sums = onAll(w, ex -> {
      double scalar = ex.allReduceSum(parts[ex.rank()][0]);
      double[] vec = ex.allReduceSum(parts[ex.rank()]);
      assertEquals(vec[0], scalar);
      return vec;
    });
    double[] expected = parts[0].clone();
    for (int r = 1; r < 3; r++) {
      for (int i = 0; i < 3; i++) {
        expected[i] += parts[r][i];
      }
    }
    assertEquals(1.0, expected[0]); // (1e17 - 1e17) + 1: rank order; any other order gives 0
    for (double[] s : sums) {
      assertArrayEquals(expected, s);
    }
  }

  @Test
  void aTrainingStepSequenceRepeats() throws Exception {
    int n = 3;
    int psi = 5000;
    List<TensorExchange> w = world(n, 1, OPTIONS);
    ShardRanges ranges = new ShardRanges(psi, n);
    List<short[]> params = onAll(w, ex -> {
      short[] full = new short[psi];
      for (int step = 0; step < 3; step++) {
        float[] shard = new float[ranges.length(ex.rank())];
        ex.reduceScatter(gradient(ex.rank() + step, psi), shard);
        ex.allReduceSum(new double[] {step, ex.rank()});
        short[] bf16 = new short[shard.length];
        for (int i = 0; i < shard.length; i++) {
          bf16[i] = (short) (Float.floatToRawIntBits(shard[i]) >>> 16);
        }
        ex.allGatherBf16(bf16, full);
      }
      return full;
    });
    for (int r = 1; r < n; r++) {
      assertArrayEquals(params.get(0), params.get(r));
    }
  }

  /**
   * FULL_SHARD runs one collective per unit (each block, the embedding, the LM head) instead of one
   * on Ψ: reduce-scatters and all-gathers alternate back to back on vectors of different lengths,
   * some shorter than the world (empty shards), some of a few MiB. Each result is exact.
   */
  @ParameterizedTest(name = "N={0}")
  @ValueSource(ints = {2, 3})
  void unitSizedCollectivesOfDifferentLengthsBackToBackAreExact(int n) throws Exception {
    List<TensorExchange> w = world(n, 1, OPTIONS);
    List<UnitOp> ops = UnitOp.aStepOfUnits();
    List<List<Object>> got = onAll(w, ex -> {
      List<Object> results = new ArrayList<>();
      for (UnitOp op : ops) {
        results.add(op.runOn(ex));
      }
      return results;
    });
    for (int i = 0; i < ops.size(); i++) {
      int op = i;
      ops.get(i).checkAll(n, got.stream().map(results -> results.get(op)).toList());
    }
  }

  /**
   * As FULL_SHARD's prefetch and backward threads: on each rank all-gathers are called from one
   * thread and reduce-scatters from another, each call after the previous one returned, the ranks
   * pausing at random (and differently) between calls. No frame of one op lands in another.
   */
  @ParameterizedTest(name = "N={0}")
  @ValueSource(ints = {2, 3})
  void unitCollectivesCalledFromTwoThreadsPerRankWithRandomPausesStayInOrder(int n)
      throws Exception {
    List<TensorExchange> w = world(n, 1, OPTIONS);
    List<UnitOp> ops = UnitOp.randomUnits(new Random(42), 40);
    List<CompletableFuture<List<Object>>> ranks = new ArrayList<>();
    for (TensorExchange ex : w) {
      ExecutorService gathers = Executors.newSingleThreadExecutor();
      ExecutorService reduces = Executors.newSingleThreadExecutor();
      rankThreads.add(gathers);
      rankThreads.add(reduces);
      Random pauses = new Random(ex.rank());
      CompletableFuture<List<Object>> calls = CompletableFuture.completedFuture(new ArrayList<>());
      for (UnitOp op : ops) {
        calls = calls.thenApplyAsync(results -> {
          // Jitter, not a wait: ranks reach each op at different times, early or late.
          LockSupport.parkNanos(pauses.nextInt(2_000_000));
          results.add(op.runOn(ex));
          return results;
        }, op.kind() == OpKind.ALL_GATHER ? gathers : reduces);
      }
      ranks.add(calls);
    }
    List<List<Object>> got = new ArrayList<>();
    for (CompletableFuture<List<Object>> calls : ranks) {
      got.add(calls.get(60, TimeUnit.SECONDS));
    }
    for (int i = 0; i < ops.size(); i++) {
      int op = i;
      ops.get(i).checkAll(n, got.stream().map(results -> results.get(op)).toList());
    }
  }
}
