package org.olmo4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.data.TokenDataset;
import org.olmo4j.model.Initializer;
import org.olmo4j.model.LossTerms;
import org.olmo4j.model.OlmoModel;
import org.olmo4j.model.StepScope;
import org.olmo4j.tokenizer.OlmoTokenizer;

/**
 * Each metric of the pipeline (plan → batched, padded scoring → aggregation) equals the value
 * computed here independently: one unpadded forward per request, log-softmax in double in Java,
 * and the metric's formula written out.
 */
class KnownAnswerTest {

  @TempDir static Path tmp;
  static NDManager manager;
  static OlmoModel model;
  static TrainConfig cfg;
  static Path task;
  static Path a;
  static Path b;
  static OlmoTokenizer tokenizer;

  @BeforeAll
  static void setUp() throws Exception {
    a = EvalFixtures.tokens(tmp, "a.npy", 32 * 5 + 7, 1);
    b = EvalFixtures.tokens(tmp, "b.npy", 32 * 3, 2);
    task = EvalFixtures.task(tmp);
    cfg = EvalFixtures.config(a,
        "- {label: ppl, type: lm, device_eval_batch_size: 3, data: {datasets: {a: [" + a + "], b: [" + b + "]}}}",
        "- {label: t_acc, type: downstream, metric: acc, device_eval_batch_size: 3, data: {paths: [" + task + "]}}",
        "- {label: t_len, type: downstream, metric: len_norm, data: {paths: [" + task + "]}}",
        "- {label: t_pmi, type: downstream, metric: pmi_dc, device_eval_batch_size: 5, data: {paths: [" + task + "]}}",
        "- {label: t_bpb, type: downstream, metric: bpb, data: {paths: [" + task + "]}}");
    manager = NDManager.newBaseManager();
    model = OlmoModel.create(cfg.model(), manager, DataType.FLOAT32);
    model.setParams(Initializer.initialFlat(cfg.model(), model.layout(), 77));
    tokenizer = OlmoTokenizer.load(EvalSources.atDefaultCache().tokenizer());
  }

  @AfterAll
  static void tearDown() {
    tokenizer.close();
    model.close();
    manager.close();
  }

  /** Σ log p(tokens[j] | tokens[..j]) for j ≥ contextLength, one sequence, no padding. */
  static double logProb(long[] tokens, int contextLength) {
    int t = tokens.length - 1;
    float[] logits;
    try (StepScope s = model.newStepScope()) {
      NDArray x = s.manager().create(java.util.Arrays.copyOf(tokens, t), new Shape(1, t));
      logits = model.logits(x).toFloatArray();
    }
    int v = logits.length / t;
    double sum = 0;
    for (int p = contextLength - 1; p < t; p++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < v; k++) {
        max = Math.max(max, logits[p * v + k]);
      }
      double z = 0;
      for (int k = 0; k < v; k++) {
        z += Math.exp(logits[p * v + k] - max);
      }
      sum += logits[p * v + (int) tokens[p + 1]] - max - Math.log(z);
    }
    return sum;
  }

  static double choiceLogProb(String context, String continuation) {
    int[] c = tokenizer.encode(context);
    if (c.length == 0) {
      c = new int[] {cfg.model().eosTokenId()};
    }
    int[] x = tokenizer.encode(continuation);
    long[] all = new long[c.length + x.length];
    for (int i = 0; i < c.length; i++) {
      all[i] = c[i];
    }
    for (int i = 0; i < x.length; i++) {
      all[c.length + i] = x[i];
    }
    return logProb(all, c.length);
  }

  static int argmax(double[] s) {
    int best = 0;
    for (int i = 1; i < s.length; i++) {
      best = s[i] > s[best] ? i : best;
    }
    return best;
  }

  @Test
  void everyMetricMatchesTheIndependentComputation() {
    EvalPlan plan = EvalPlan.build(cfg, EvalSources.atDefaultCache());
    Map<String, Double> m = ModelEval.run(plan, model).metrics();

    // Perplexity: CE from the model's own loss path, per dataset and token-weighted combined.
    double[] ce = new double[2];
    long[] tokens = new long[2];
    Path[] files = {a, b};
    for (int d = 0; d < 2; d++) {
      try (TokenDataset ds = TokenDataset.open(List.of(files[d]), cfg.data().memmapDtype(), 32, 50280, null)) {
        for (long i = 0; i < ds.numInstances(); i++) {
          long[] inst = new long[32];
          ds.readInstance(i, inst);
          try (StepScope s = model.newStepScope()) {
            LossTerms t = model.lossTerms(s.manager().create(inst, new Shape(1, 32)), null, false);
            ce[d] += t.ceSum().getFloat();
            tokens[d] += t.tokens();
          }
        }
      }
    }
    assertEquals(5 * 31, tokens[0]);
    assertEquals(3 * 31, tokens[1]);
    assertRel(ce[0] / tokens[0], m.get("eval/ppl/a/CrossEntropyLoss"), "CE a");
    assertRel(ce[1] / tokens[1], m.get("eval/ppl/b/CrossEntropyLoss"), "CE b");
    double combined = (ce[0] + ce[1]) / (tokens[0] + tokens[1]);
    assertRel(combined, m.get("eval/ppl/CrossEntropyLoss"), "CE combined");
    assertRel(Math.exp(combined), m.get("eval/ppl/Perplexity"), "PPL combined");

    // Downstream: the four metrics over the hand-made examples.
    List<TaskExample> examples = TaskFile.read(task);
    double acc = 0;
    double len = 0;
    double pmi = 0;
    double bpb = 0;
    List<Integer> accChoices = new ArrayList<>();
    for (TaskExample x : examples) {
      int k = x.choices();
      double[] lp = new double[k];
      double[] perChar = new double[k];
      double[] dc = new double[k];
      for (int c = 0; c < k; c++) {
        String cont = x.continuations().get(c);
        lp[c] = choiceLogProb(x.contexts().get(c), cont);
        perChar[c] = lp[c] / (cont.length() - 1);
        dc[c] = lp[c] - choiceLogProb(x.unconditionalContext(), cont);
      }
      accChoices.add(argmax(lp));
      acc += argmax(lp) == x.gold() ? 1 : 0;
      len += argmax(perChar) == x.gold() ? 1 : 0;
      pmi += argmax(dc) == x.gold() ? 1 : 0;
      String gold = x.continuations().get(x.gold()).substring(1);
      bpb += -lp[x.gold()] / (gold.getBytes(java.nio.charset.StandardCharsets.UTF_8).length * Math.log(2));
    }
    int n = examples.size();
    assertEquals(acc / n, m.get("eval/downstream/t_acc_acc"), 1e-12, "acc; choices " + accChoices);
    assertEquals(len / n, m.get("eval/downstream/t_len_len_norm"), 1e-12, "len_norm");
    assertEquals(pmi / n, m.get("eval/downstream/t_pmi_pmi_dc"), 1e-12, "pmi_dc");
    assertRel(bpb / n, m.get("eval/downstream/t_bpb_bpb"), "bpb");
    assertTrue(m.get("eval/downstream/t_bpb_bpb") > 0);
  }

  @Test
  void batchingAndPaddingDoNotChangeAnyRequest() {
    EvalPlan plan = EvalPlan.build(cfg, EvalSources.atDefaultCache());
    double[] one = new RequestScorer(model, 1).score(plan.requests());
    double[] seven = new RequestScorer(model, 7).score(plan.requests());
    for (int i = 0; i < one.length; i++) {
      EvalRequest r = plan.requests().get(i);
      assertRel(logProb(r.tokens(), r.contextLength()), one[i], "request " + i + " unbatched");
      assertRel(one[i], seven[i], "request " + i + " batched with padding");
    }
  }

  @Test
  void sharesPartitionThePlanInOrder() {
    EvalPlan plan = EvalPlan.build(cfg, EvalSources.atDefaultCache());
    int[] r0 = plan.share(0, 2);
    int[] r1 = plan.share(1, 2);
    assertEquals(plan.size(), r0.length + r1.length);
    assertEquals(0, r0[0]);
    assertEquals(1, r1[0]);
    assertEquals(plan.size() - 1, Math.max(r0[r0.length - 1], r1[r1.length - 1]));
    assertEquals(plan.fingerprint(), EvalPlan.build(cfg, EvalSources.atDefaultCache()).fingerprint());
  }

  private static void assertRel(double expected, double actual, String what) {
    double rel = Math.abs(expected - actual) / Math.max(1e-12, Math.abs(expected));
    assertTrue(rel < 1e-5, what + ": expected " + expected + ", got " + actual + " (relative " + rel + ")");
  }
}
