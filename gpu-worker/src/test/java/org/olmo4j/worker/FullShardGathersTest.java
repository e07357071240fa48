package org.olmo4j.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.exchange.ExchangeOptions;
import org.olmo4j.exchange.InProcessGroup;
import org.olmo4j.exchange.TensorExchange;
import org.olmo4j.model.FlatVector;
import org.olmo4j.model.OlmoModel;
import org.olmo4j.optim.AdamWShard;
import org.olmo4j.train.Collectives;
import org.olmo4j.train.TrainCheckpoints;
import org.olmo4j.train.TrainStep;

/**
 * How many all-gathers a FULL_SHARD step enters: units whose values do not change within a step
 * stay present from one micro-batch to the next (the models and batches of {@link
 * FullShardStepTest}).
 */
class FullShardGathersTest {

  /**
   * Per micro-batch of the 5-block model whose table is gathered (2 ranks × 64 tokens > 64 rows):
   * the embedding, 5 blocks and the head in the forward; 3 blocks (the last two are still
   * present) and the embedding again (untied: freed after its forward) in the backward. The
   * backward ends with the embedding and blocks 0 and 1 gathered, and the next micro-batch's
   * forward starts with them: 3 gathers fewer. Looked up sharded (2 × 32 tokens ≤ 64 rows), a
   * micro-batch gathers the token ids instead of the embedding, and its embeddings' gradients
   * instead of the embedding again; the next one starts with blocks 0 and 1.
   */
  @Test
  void theNextMicroBatchStartsWithTheEmbeddingStillGathered() throws Exception {
    int blocks = 5;
    int perMicroBatch = 1 + blocks + 1 + (blocks - 2) + 1;
    assertEquals(perMicroBatch, gathersOfOneStep(4, 4), "gathered table, one micro-batch");
    assertEquals(2 * perMicroBatch - 3, gathersOfOneStep(8, 4), "gathered, two micro-batches");
    assertEquals(2 * perMicroBatch - 2, gathersOfOneStep(4, 2), "sharded lookup, two");
  }

  /**
   * An untied head of 512 × 32 + 32 = 16,416 elements, longer than a block (about 9,000): with
   * the embedding looked up sharded, its values stay from one micro-batch's head to the next
   * one's, one gather fewer per further micro-batch (the 64-row head of the model above is
   * shorter than a block and is gathered again). The losses still follow SHARD_GRAD_OP's.
   */
  @Test
  void aHeadLongerThanABlockIsGatheredOncePerStep() throws Exception {
    String[] wide = {"--model.vocab_size=512", "--model.embedding_size=512",
        "--model.eos_token_id=511"};
    TrainConfig cfg = FullShardStepTest.config("olmo2", "FULL_SHARD", "null", "fp32", wide);
    int perMicroBatch = 1 + 5 + 1 + 3 + 1; // looked up sharded: the ids and the rows' gradients
    assertEquals(perMicroBatch, gathersOfOneStep(cfg, 2, 2), "one micro-batch");
    assertEquals(2 * perMicroBatch - 3, gathersOfOneStep(cfg, 4, 2),
        "two: blocks 0 and 1, and the head, still present");
    // 2 ranks × 32 × 16 tokens > 512 rows: the table is gathered, and its backward (its values
    // and gradients) must not meet the kept head: the head is gathered again instead.
    assertEquals(2 * perMicroBatch - 3, gathersOfOneStep(cfg, 64, 32),
        "two with the table gathered: the embedding and blocks 0 and 1 still present");
    List<Double> zero2 = FullShardStepTest.train(FullShardStepTest.config("olmo2", "SHARD_GRAD_OP", "null", "fp32", wide), 2, 2, 0,
        20, null, null);
    List<Double> zero3 = FullShardStepTest.train(cfg, 2, 2, 0, 20, null, null);
    System.out.printf("FULL_SHARD vs SHARD_GRAD_OP, 512-row head kept, N=2, 2 micro-batches:"
        + " max relative loss difference %.2e%n", FullShardStepTest.maxRelative(zero2, zero3));
    FullShardStepTest.assertClose(zero2, zero3, 1e-5, "FULL_SHARD (head kept) vs SHARD_GRAD_OP");
  }

  private static int gathersOfOneStep(int sequences, int size) throws Exception {
    return gathersOfOneStep(FullShardStepTest.config("olmo2", "FULL_SHARD", "null"), sequences, size);
  }

  /**
   * The all-gathers rank 0 of 2 enters in one FULL_SHARD step of {@code sequences} sequences per
   * rank in micro-batches of {@code size}.
   */
  private static int gathersOfOneStep(TrainConfig cfg, int sequences, int size)
      throws Exception {
    List<TensorExchange> exchanges =
        InProcessGroup.newWorld(2, 1, ExchangeOptions.DEFAULTS).exchanges();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<Integer>> counts = new ArrayList<>();
      for (TensorExchange ex : exchanges) {
        counts.add(pool.submit(() -> {
          AtomicInteger gathers = new AtomicInteger();
          Collectives counted = new ExchangeCollectives(ex) {
            @Override
            public void allGatherInPlace(FlatVector full) {
              gathers.incrementAndGet();
              super.allGatherInPlace(full);
            }
          };
          try (NDManager m = NDManager.newBaseManager();
              OlmoModel model = TrainStep.model(cfg, m)) {
            AdamWShard opt = new AdamWShard(model.layout(), TrainStep.plan(cfg, ex.rank(), 2),
                cfg.optimizer());
            TrainCheckpoints.initShard(cfg, model.layout(), opt);
            try (TrainStep step = TrainStep.create(cfg, model, opt, counted)) {
              step.run(FullShardStepTest.globalBatch(1, 2 * sequences).slice(ex.rank() * sequences, sequences),
                  size, 1e-4, 1, FullShardStepTest.LR, 1.0);
            }
          }
          return gathers.get();
        }));
      }
      int rank0 = counts.get(0).get();
      assertEquals(rank0, counts.get(1).get(), "both ranks gather alike");
      return rank0;
    } finally {
      pool.shutdown();
    }
  }
}
