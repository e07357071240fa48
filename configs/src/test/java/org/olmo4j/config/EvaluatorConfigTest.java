package org.olmo4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@code evaluators:} list and {@code eval_interval}, with OLMo's key names. */
class EvaluatorConfigTest {

  private static final String TWO = String.join("\n",
      "eval_interval: 50",
      "evaluators:",
      "- label: heldout",
      "  type: lm",
      "  data: {datasets: {books: [a.npy, b.npy], brown: [c.npy]}}",
      "  subset_num_batches: 3",
      "- label: piqa",
      "  type: downstream",
      "  metric: pmi_dc",
      "  device_eval_batch_size: 4",
      "  data: {paths: [piqa.jsonl]}",
      "");

  @Test
  void defaultIsNoEvaluatorsEvery1000Steps() {
    TrainConfig c = ConfigLoader.fromYaml("", List.of());
    assertEquals(List.of(), c.evaluators());
    assertEquals(1000, c.evalInterval());
  }

  @Test
  void bindsOlmoKeysInOrder() {
    TrainConfig c = ConfigLoader.fromYaml(TWO, List.of("--device_train_microbatch_size=8"));
    assertEquals(50, c.evalInterval());
    EvaluatorConfig lm = c.evaluators().get(0);
    assertEquals(EvaluatorType.LM, lm.type());
    assertEquals(List.of("books", "brown"), List.copyOf(lm.data().datasets().keySet()));
    assertNull(lm.data().paths());
    assertEquals(8, lm.batchSize(c));
    assertEquals(24, lm.limit(c));
    EvaluatorConfig piqa = c.evaluators().get(1);
    assertEquals(DownstreamMetric.PMI_DC, piqa.metricOrDefault());
    assertEquals(4, piqa.batchSize(c));
    assertEquals(Long.MAX_VALUE, piqa.limit(c));
    assertEquals(c, ConfigLoader.fromYaml(ConfigLoader.toYaml(c), List.of()));
  }

  @Test
  void unknownKeyInsideAnEvaluatorIsNamed() {
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.fromYaml(
        "evaluators:\n- label: x\n  type: lm\n  data: {paths: [a]}\n  device_batch: 3\n", List.of()));
    assertTrue(e.getMessage().contains("unknown key 'evaluators[0].device_batch'"), e.getMessage());
    assertTrue(e.getMessage().contains("device_eval_batch_size"), e.getMessage());
  }

  @Test
  void badEvaluatorsListEveryProblem() {
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.fromYaml(
        String.join("\n", "eval_interval: 0", "evaluators:",
            "- {label: a, type: lm, metric: acc, data: {paths: [x], datasets: {b: [y]}}}",
            "- {label: a, type: downstream, device_eval_batch_size: 0, data: {}}", ""), List.of()));
    String m = e.getMessage();
    assertTrue(m.contains("eval_interval must be positive"), m);
    assertTrue(m.contains("evaluators[0].metric is for downstream evaluators"), m);
    assertTrue(m.contains("evaluators[0].data must set exactly one of paths"), m);
    assertTrue(m.contains("evaluators[1].label 'a' is used by an earlier evaluator"), m);
    assertTrue(m.contains("evaluators[1].device_eval_batch_size must be positive"), m);
    assertTrue(m.contains("got neither"), m);
  }

  @Test
  void datasetsMustBeAMapping() {
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.fromYaml(
        "evaluators:\n- {label: x, type: lm, data: {datasets: [a.npy]}}\n", List.of()));
    assertTrue(e.getMessage().contains("evaluators[0].data.datasets: expected a mapping"), e.getMessage());
  }

  @Test
  void badTypeNamesTheChoices() {
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.fromYaml(
        "evaluators:\n- {label: x, type: ppl, data: {paths: [a]}}\n", List.of()));
    assertTrue(e.getMessage().contains("evaluators[0].type"), e.getMessage());
    assertTrue(e.getMessage().contains("[lm, downstream]"), e.getMessage());
  }
}
