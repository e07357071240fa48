package org.olmo4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.olmo4j.config.TrainConfig;

class TrainerTest {

  @TempDir Path tmp;

  private static void train(TrainConfig cfg, long untilStep) {
    try (NDManager m = NDManager.newBaseManager();
        TrainData data = TrainData.open(cfg);
        Trainer t = Trainer.create(cfg, data, m)) {
      t.fit(untilStep);
    }
  }

  /** 20 steps straight = 10 + 10 resumed, bit for bit, in each precision and architecture. */
  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"fp32, olmo", "amp_bf16, olmo", "amp_bf16, olmo3"})
  void exactResumeGivesBitIdenticalLosses(String precision, String family) throws Exception {
    Path data = TinyRun.writeTokens(tmp, 40_000, 7);
    Path straight = tmp.resolve("straight");
    Path resumed = tmp.resolve("resumed");
    String[] keys = {"--precision=" + precision};
    if (family.equals("olmo3")) {
      keys = new String[] {"--precision=" + precision, "--model.layer_norm_type=rms",
          "--model.layer_norm_with_affine=true", "--model.attention_layer_norm=true",
          "--model.norm_after=true", "--model.n_kv_heads=1", "--model.weight_tying=false",
          "--model.sliding_window={pattern: [4, -1]}"};
    }

    train(TinyRun.config(data, straight, keys), 20);
    train(TinyRun.config(data, resumed, keys), 10);
    String[] resume = java.util.Arrays.copyOf(keys, keys.length + 1);
    resume[keys.length] = "--try_load_latest_save=true";
    train(TinyRun.config(data, resumed, resume), 20);

    List<Double> a = TinyRun.losses(straight);
    List<Double> b = TinyRun.losses(resumed);
    assertEquals(20, a.size());
    assertEquals(20, b.size());
    for (int i = 0; i < 20; i++) {
      assertEquals(Double.doubleToLongBits(a.get(i)), Double.doubleToLongBits(b.get(i)),
          "loss at step " + (i + 1) + ": " + a.get(i) + " vs " + b.get(i));
    }
  }

  @Test
  void lossFallsOnLearnableData() throws Exception {
    Path data = TinyRun.writeTokens(tmp, 40_000, 11);
    Path out = tmp.resolve("run");
    train(TinyRun.config(data, out, "--max_duration=40", "--save_interval=100"), 40);
    List<Double> losses = TinyRun.losses(out);
    double first = losses.get(0);
    double last = losses.get(losses.size() - 1);
    assertTrue(first > Math.log(TinyRun.VOCAB) - 0.5, "initial loss near ln(vocab): " + first);
    assertTrue(last < first - 1.5, "loss fell from " + first + " to " + last);
  }

  @Test
  void divergenceStopsAndKeepsLastCheckpoint() throws Exception {
    Path data = TinyRun.writeTokens(tmp, 40_000, 3);
    Path out = tmp.resolve("diverge");
    TrainConfig cfg = TinyRun.config(data, out, "--optimizer.learning_rate=1e30",
        "--max_grad_norm=null", "--save_interval=1", "--scheduler.name=constant");
    TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> train(cfg, 20));
    assertTrue(e.getMessage().contains("step1"), e.getMessage());
    assertEquals("step1", Files.readString(out.resolve("latest")).trim());
  }
}
