package org.olmo4j.exchange;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

/**
 * Rank 1 of {@link TwoJvmExchangeTest}: one reduce-scatter and one bf16 all-gather of Ψ, then the
 * unit-sized collectives of {@link UnitOp#aStepOfUnits}, each checked against the rank-order
 * reference; writes "ok" or the first mismatch to {@code args[1]}, joins one all-reduce that tells
 * rank 0 so, then idles until killed (or its parent closes its stdin).
 */
public final class ExchangePeerMain {

  public static void main(String[] args) throws Exception {
    int psi = Integer.parseInt(args[0]);
    Path report = Path.of(args[1]);
    ExchangeOptions options = ExchangeOptions.DEFAULTS.withTimeout(Duration.ofSeconds(10));
    ExchangeServer server = ExchangeServer.start(new InetSocketAddress(LoopbackRendezvous.HOST, 0));
    NetworkExchange ex = LoopbackRendezvous.joinAsChild(server, options);
    ShardRanges ranges = new ShardRanges(psi, ex.worldSize());
    float[] shard = new float[ranges.length(ex.rank())];
    ex.reduceScatter(TensorExchangeContractTest.gradient(ex.rank(), psi), shard);
    float[] expected = Arrays.copyOfRange(TensorExchangeContractTest.rankOrderSum(ex.worldSize(), psi),
        (int) ranges.start(ex.rank()), (int) ranges.end(ex.rank()));
    short[] full = new short[psi];
    short[] mine = new short[shard.length];
    for (int i = 0; i < mine.length; i++) {
      mine[i] = (short) (ranges.start(ex.rank()) + i);
    }
    ex.allGatherBf16(mine, full);
    String verdict = "ok";
    for (int i = 0; i < psi; i++) {
      if (full[i] != (short) i) {
        verdict = "bf16 element " + i + " is " + full[i];
      }
    }
    for (int i = 0; i < shard.length; i++) {
      if (Float.floatToRawIntBits(shard[i]) != Float.floatToRawIntBits(expected[i])) {
        verdict = "shard element " + i + " is " + shard[i] + ", expected " + expected[i];
      }
    }
    // Every op runs even after a mismatch, so that rank 0 is not left waiting in one.
    for (UnitOp op : UnitOp.aStepOfUnits()) {
      Object got = op.runOn(ex);
      try {
        op.check(ex.worldSize(), ex.rank(), op.expected(ex.worldSize()), got);
      } catch (AssertionError e) {
        verdict = verdict.equals("ok") ? e.getMessage() : verdict;
      }
    }
    Files.writeString(report, verdict);
    ex.allReduceSum(1.0); // tells rank 0 that the report is written
    // Idle in the world (rank 0 then blocks on this rank and kills it) until killed or stdin closes.
    while (System.in.read() >= 0) {
      // the parent sends nothing more
    }
  }
}
