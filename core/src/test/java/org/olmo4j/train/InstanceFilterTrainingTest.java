package org.olmo4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.model.Initializer;
import org.olmo4j.model.OlmoModel;

/** {@code data.instance_filter}: a repetitive instance stays in the order but adds nothing to the loss. */
class InstanceFilterTrainingTest {

  private static final int SEQ = 16;
  private static final String FILTER = "--data.instance_filter={repetition_max_count: 8}";

  @TempDir Path tmp;

  /** Counting data (never periodic within 16 tokens) with file instances 2 and 5 all one token. */
  private Path data(int instances) throws IOException {
    Path file = TinyRun.writeTokens(tmp, instances * SEQ, 5);
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    for (int instance : new int[] {2, 5}) {
      for (int t = 0; t < SEQ; t++) {
        b.putShort((instance * SEQ + t) * 2, (short) 7);
      }
    }
    return Files.write(file, b.array());
  }

  @Test
  void theRepetitiveInstancesAreMaskedWhereverTheOrderPutsThem() throws IOException {
    TrainConfig cfg = TinyRun.config(data(8), tmp.resolve("run"), FILTER);
    try (TrainData data = TrainData.open(cfg)) {
      Batch all = data.batch(0, 8);
      assertEquals(2, all.maskedInstances());
      for (int row = 0; row < 8; row++) {
        long[] tokens = Arrays.copyOfRange(all.tokens(), row * SEQ, (row + 1) * SEQ);
        boolean repetitive = Arrays.stream(tokens).allMatch(t -> t == 7);
        assertEquals(!repetitive, all.instanceMask()[row], "row " + row);
        // The same instance read in a smaller window (another world size) gets the same flag.
        assertEquals(all.instanceMask()[row], data.batch(row, 1).instanceMask()[0]);
      }
      assertEquals(6L * (SEQ - 1), all.labelTokens());
    }
  }

  @Test
  void aMaskedInstanceContributesNothingToLossOrGradient() throws IOException {
    TrainConfig cfg = TinyRun.config(data(8), tmp.resolve("run"), FILTER);
    try (NDManager m = NDManager.newBaseManager();
        TrainData data = TrainData.open(cfg);
        OlmoModel model = OlmoModel.create(cfg.model(), m, DataType.FLOAT32)) {
      model.setParams(Initializer.initialFlat(cfg.model(), model.layout(), 3));
      Batch batch = data.batch(0, 8);
      Batch altered = withMaskedRowsReplaced(batch);
      long tokens = batch.labelTokens();

      GradientStep.Result a = GradientStep.run(model, batch.split(4), 0, tokens);
      float[] gradA = grads(model);
      GradientStep.Result b = GradientStep.run(model, altered.split(4), 0, tokens);
      float[] gradB = grads(model);

      assertEquals(tokens, a.tokens());
      assertEquals(a.ceSum(), b.ceSum(), 1e-9 * Math.abs(a.ceSum()), "other tokens in masked rows");
      assertArrayEquals(gradA, gradB, 1e-7f);
      assertTrue(Arrays.stream(toDoubles(gradA)).anyMatch(g -> g != 0), "the kept rows have a gradient");
    }
  }

  @Test
  void theMaskedCountIsInTheStepMetrics() throws IOException {
    Path out = tmp.resolve("run");
    TrainConfig cfg = TinyRun.config(data(8), out, FILTER, "--max_duration=2");
    try (NDManager m = NDManager.newBaseManager();
        TrainData data = TrainData.open(cfg);
        Trainer t = Trainer.create(cfg, data, m)) {
      StepMetrics last = t.fit();
      // Eight instances, one epoch per step: every step sees both repetitive ones.
      assertEquals(2, last.maskedInstances());
      assertTrue(Double.isFinite(last.loss()));
    }
    String metrics = Files.readString(out.resolve("metrics.jsonl"));
    assertTrue(metrics.contains("\"masked_instances\":2"), metrics);
  }

  private static Batch withMaskedRowsReplaced(Batch b) {
    long[] tokens = b.tokens().clone();
    for (int row = 0; row < b.size(); row++) {
      if (!b.instanceMask()[row]) {
        for (int t = 0; t < SEQ; t++) {
          tokens[row * SEQ + t] = (t * 5 + row) % TinyRun.VOCAB;
        }
      }
    }
    return new Batch(tokens, b.labelMask(), b.size(), b.seqLen(), b.instanceMask());
  }

  private static float[] grads(OlmoModel model) {
    float[] g = new float[Math.toIntExact(model.layout().totalElements())];
    model.readGrads(g);
    return g;
  }

  private static double[] toDoubles(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }
}
