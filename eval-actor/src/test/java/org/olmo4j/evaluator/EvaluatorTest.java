package org.olmo4j.evaluator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.config.ConfigLoader;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.eval.EvalPlan;
import org.olmo4j.eval.EvalSources;

/** The Evaluator puts the ranks' shares back in plan order, whatever order they arrive in. */
class EvaluatorTest {

  static final ActorTestKit kit = ActorTestKit.create();
  @TempDir Path tmp;

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private TrainConfig config() throws Exception {
    ByteBuffer buf = ByteBuffer.allocate(16 * 11 * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 16 * 11; i++) {
      buf.putShort((short) (i % 50));
    }
    Path a = Files.write(tmp.resolve("a.npy"), buf.array());
    return ConfigLoader.fromYaml(String.join("\n",
        "model: {d_model: 32, n_heads: 2, n_layers: 1, vocab_size: 64, embedding_size: 64,",
        "  max_sequence_length: 16, eos_token_id: 63, pad_token_id: 62}",
        "data: {paths: [" + a + "]}",
        "evaluators:",
        "- {label: x, type: lm, data: {datasets: {first: [" + a + "]}}}",
        "- {label: y, type: lm, subset_num_batches: 2, device_eval_batch_size: 2, data: {paths: [" + a + "]}}",
        ""), List.of());
  }

  private static Evaluator.RankScored share(EvalPlan plan, double[] all, long gen, long step,
      int rank, int n, long fingerprint) {
    List<Double> mine = new ArrayList<>();
    for (int i : plan.share(rank, n)) {
      mine.add(all[i]);
    }
    return new Evaluator.RankScored(gen, step, rank, n, plan.size(), fingerprint, mine, 10, 0.5 + rank);
  }

  @Test
  void aggregatesInPlanOrderPublishesOnceAndFlushesHistory() throws Exception {
    TrainConfig cfg = config();
    EvalPlan plan = EvalPlan.build(cfg, EvalSources.atDefaultCache());
    assertEquals(11 + 4, plan.size());
    double[] all = new double[plan.size()];
    for (int i = 0; i < all.length; i++) {
      all[i] = -(i * i + 1.0);
    }
    TestProbe<Evaluator.Published> out = kit.createTestProbe();
    ActorRef<Evaluator.Command> ev = kit.spawn(Evaluator.create(cfg, EvalSources.atDefaultCache(), out.getRef()));
    long fp = plan.fingerprint();
    ev.tell(share(plan, all, 1, 7, 2, 3, fp));
    ev.tell(share(plan, all, 1, 7, 0, 3, fp));
    ev.tell(share(plan, all, 1, 7, 0, 3, fp)); // a duplicate counts once
    out.expectNoMessage(Duration.ofMillis(200));
    ev.tell(share(plan, all, 1, 7, 1, 3, fp));
    Evaluator.Published p = out.expectMessageClass(Evaluator.Published.class);
    assertEquals(7, p.step());
    assertEquals(plan.metrics(all), p.metrics());
    assertEquals(30, p.tokens());
    assertEquals(2.5, p.seconds());
    // x: instances 0..10; y: the first 4 (2 batches of 2).
    double xSum = 0;
    for (int i = 0; i < 11; i++) {
      xSum += all[i];
    }
    assertEquals(-xSum / (11 * 15), p.metrics().get("eval/x/first/CrossEntropyLoss"), 1e-12);
    assertEquals(-(all[11] + all[12] + all[13] + all[14]) / (4 * 15),
        p.metrics().get("eval/y/CrossEntropyLoss"), 1e-12);

    ev.tell(share(plan, all, 1, 8, 0, 1, fp + 1)); // another plan: dropped, nothing published
    out.expectNoMessage(Duration.ofMillis(200));
    TestProbe<Evaluator.Flushed> flushed = kit.createTestProbe();
    ev.tell(new Evaluator.Flush(flushed.getRef()));
    assertEquals(List.of(p), flushed.expectMessageClass(Evaluator.Flushed.class).rounds());
  }
}
