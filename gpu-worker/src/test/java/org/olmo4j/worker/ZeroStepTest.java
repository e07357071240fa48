package org.olmo4j.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.olmo4j.config.ConfigLoader;
import org.olmo4j.config.Precision;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.exchange.ExchangeOptions;
import org.olmo4j.exchange.InProcessGroup;
import org.olmo4j.exchange.TensorExchange;
import org.olmo4j.io.Bf16;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.model.OlmoModel;
import org.olmo4j.optim.AdamWShard;
import org.olmo4j.train.Batch;
import org.olmo4j.train.TrainCheckpoints;
import org.olmo4j.train.TrainStep;
import org.olmo4j.train.ZeroStep;

/** The ZeRO-2 step over the in-process data plane, with bf16 compute copies. */
class ZeroStepTest {

  private static final TrainConfig CFG = ConfigLoader.fromYaml(String.join("\n",
      "precision: amp_bf16",
      "model: {d_model: 32, n_heads: 2, n_layers: 2, mlp_ratio: 4, vocab_size: 64,",
      "  embedding_size: 64, max_sequence_length: 16, eos_token_id: 63, pad_token_id: 62}",
      ""), List.of());

  /** What one rank ends with: its compute copy and its fp32 master shard. */
  private record RankResult(float[] params, float[] master, double loss) {}

  private static RankResult rank(TensorExchange ex, Batch part) {
    try (NDManager m = NDManager.newBaseManager();
        OlmoModel model = OlmoModel.create(CFG.model(), m, DataType.FLOAT32)) {
      FlatLayout layout = model.layout();
      AdamWShard opt = new AdamWShard(layout, layout.shardRange(ex.rank(), ex.worldSize()), CFG.optimizer());
      TrainCheckpoints.initShard(CFG, layout, opt);
      ZeroStep zero = new ZeroStep(model, opt, ex, Precision.AMP_BF16);
      zero.publishParameters();
      TrainStep.Outcome o = null;
      for (int step = 1; step <= 3; step++) {
        o = zero.run(part, 2, 0, step, 1e-2, 1.0);
      }
      float[] params = new float[Math.toIntExact(layout.totalElements())];
      model.readParams(params);
      return new RankResult(params, opt.master().clone(), o.loss());
    }
  }

  @Test
  void bf16AllGatherGivesExactlyTheRoundedMasterOnEveryRank() throws Exception {
    SplittableRandom rnd = new SplittableRandom(3);
    long[] tokens = new long[4 * 16];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = rnd.nextInt(64);
    }
    Batch batch = new Batch(tokens, null, 4, 16);
    List<TensorExchange> exchanges =
        InProcessGroup.newWorld(2, 1, ExchangeOptions.DEFAULTS).exchanges();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    List<Future<RankResult>> futures = new ArrayList<>();
    for (int r = 0; r < 2; r++) {
      TensorExchange ex = exchanges.get(r);
      futures.add(pool.submit(() -> rank(ex, batch.slice(ex.rank() * 2, 2))));
    }
    RankResult r0 = futures.get(0).get();
    RankResult r1 = futures.get(1).get();
    pool.shutdown();

    float[] master = new float[r0.master().length + r1.master().length];
    System.arraycopy(r0.master(), 0, master, 0, r0.master().length);
    System.arraycopy(r1.master(), 0, master, r0.master().length, r1.master().length);
    assertEquals(r0.params().length, master.length);
    for (int i = 0; i < master.length; i++) {
      assertEquals(Float.floatToRawIntBits(Bf16.round(master[i])), Float.floatToRawIntBits(r0.params()[i]),
          "element " + i + " is the bf16 rounding of the master");
    }
    assertArrayEquals(r0.params(), r1.params(), "every rank holds the same compute copy");
    assertEquals(r0.loss(), r1.loss(), 0.0, "the logged loss is global");
  }
}
