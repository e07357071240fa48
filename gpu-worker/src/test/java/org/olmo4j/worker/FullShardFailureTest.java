package org.olmo4j.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.exchange.ExchangeAbortedException;
import org.olmo4j.exchange.ExchangeOptions;
import org.olmo4j.exchange.InProcessGroup;
import org.olmo4j.exchange.TensorExchange;
import org.olmo4j.model.FlatVector;
import org.olmo4j.model.VectorMemory;
import org.olmo4j.model.OlmoModel;
import org.olmo4j.optim.AdamWShard;
import org.olmo4j.train.Collectives;
import org.olmo4j.train.TrainCheckpoints;
import org.olmo4j.train.TrainStep;

/**
 * A FULL_SHARD step whose world is aborted in the middle of its backward, while unit gradients
 * are held for their reduce-scatter: every rank's step fails with the abort, and once the steps
 * and models are closed every vector they held, the gradients a failed reduction was reading
 * included, has been let go.
 */
class FullShardFailureTest {

  @Test
  void aStepAbortedInItsBackwardLetsEveryHeldGradientGoByClose() throws Exception {
    TrainConfig cfg = FullShardStepTest.config("olmo2", "FULL_SHARD", "null");
    long before = VectorMemory.liveBytes();
    List<TensorExchange> exchanges =
        InProcessGroup.newWorld(2, 1, ExchangeOptions.DEFAULTS).exchanges();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<Throwable>> failures = new ArrayList<>();
      for (TensorExchange ex : exchanges) {
        failures.add(pool.submit(() -> runUntilAborted(cfg, ex)));
      }
      for (Future<Throwable> f : failures) {
        Throwable t = f.get();
        assertEquals(ExchangeAbortedException.class, t.getClass(), String.valueOf(t));
      }
    } finally {
      pool.shutdown();
    }
    // At most: a vector another test left to the garbage collector may be freed meanwhile.
    long after = VectorMemory.liveBytes();
    assertTrue(after <= before, (after - before) + " bytes of vectors still open after close");
  }

  /** Runs one step of two micro-batches; rank 0 aborts the world at its third reduction. */
  private static Throwable runUntilAborted(TrainConfig cfg, TensorExchange ex) throws Exception {
    AtomicInteger reductions = new AtomicInteger();
    Collectives aborting = new ExchangeCollectives(ex) {
      @Override
      public void reduceScatterAdd(FlatVector full, float[] acc, int at) {
        if (ex.rank() == 0 && reductions.incrementAndGet() == 3) {
          ex.abort(2);
        }
        super.reduceScatterAdd(full, acc, at);
      }
    };
    try (NDManager m = NDManager.newBaseManager();
        OlmoModel model = TrainStep.model(cfg, m)) {
      AdamWShard opt = new AdamWShard(model.layout(), TrainStep.plan(cfg, ex.rank(), 2),
          cfg.optimizer());
      TrainCheckpoints.initShard(cfg, model.layout(), opt);
      try (TrainStep step = TrainStep.create(cfg, model, opt, aborting)) {
        return assertThrows(RuntimeException.class, () -> step.run(
            FullShardStepTest.globalBatch(1, 8).slice(ex.rank() * 4, 4), 2, 1e-4, 1,
            FullShardStepTest.LR, 1.0));
      }
    }
  }
}
