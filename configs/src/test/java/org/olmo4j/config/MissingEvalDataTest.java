package org.olmo4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** OLMo's downstream evaluators by label only (no {@code data}), as AI2's recipes list them. */
class MissingEvalDataTest {

  private static final String OLMO_STYLE = String.join("\n",
      "evaluators:",
      "- label: heldout",
      "  type: lm",
      "  data: {paths: [heldout.npy]}",
      "- label: piqa",
      "  type: downstream",
      "- label: arc_easy_rc_0shot",
      "  type: downstream",
      "- label: mmlu_stem",
      "  type: downstream",
      "- label: mine",
      "  type: downstream",
      "  data: {paths: [mine.jsonl]}",
      "");

  @Test
  void theConfigLoadsSoInfoNeedsNoTaskFiles() {
    TrainConfig c = ConfigLoader.fromYaml(OLMO_STYLE, List.of());
    assertEquals(5, c.evaluators().size());
  }

  @Test
  void atStartEachMissingTaskIsNamedWithHowToMakeItsFile() {
    TrainConfig c = ConfigLoader.fromYaml(OLMO_STYLE, List.of());
    ConfigException e = assertThrows(ConfigException.class, () -> MissingEvalData.check(c, w -> {}));
    String m = e.getMessage();
    assertFalse(m.contains("\n"), "one line: " + m);
    assertTrue(m.startsWith("evaluators[1] 'piqa' (downstream) has no data: "), m);
    assertTrue(m.contains("'bin/olmo4j convert-eval-task --format piqa --labels LABELS.lst IN.jsonl "
        + "TASK.jsonl' and set evaluators[1].data.paths=[TASK.jsonl]"), m);
    assertTrue(m.contains("evaluators[2] 'arc_easy_rc_0shot' (downstream) has no data"), m);
    assertTrue(m.contains("--format arc IN.jsonl"), m);
    assertTrue(m.contains("evaluators[3] 'mmlu_stem' (downstream) has no data: write its task JSONL"), m);
    assertTrue(m.contains("--eval_skip_missing=true"), m);
    assertFalse(m.contains("'heldout'") || m.contains("'mine'"), m);
  }

  @Test
  void withSkipMissingTheyAreDroppedWithAWarningEach() {
    TrainConfig c = ConfigLoader.fromYaml(OLMO_STYLE, List.of("--eval_skip_missing=true"));
    List<String> warnings = new ArrayList<>();
    TrainConfig kept = MissingEvalData.check(c, warnings::add);
    assertEquals(List.of("heldout", "mine"), kept.evaluators().stream().map(EvaluatorConfig::label).toList());
    assertEquals(3, warnings.size());
    assertTrue(warnings.get(0).startsWith("skipping evaluator 'piqa' (evaluators[1]): it has no data"),
        warnings.get(0));
  }

  @Test
  void aConfigWithDataIsReturnedAsIs() {
    TrainConfig c = ConfigLoader.fromYaml("evaluators: [{label: x, type: downstream, data: {paths: [x.jsonl]}}]",
        List.of());
    assertSame(c, MissingEvalData.check(c, w -> {}));
  }

  @Test
  void anLmEvaluatorStillNeedsData() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.fromYaml("evaluators: [{label: x, type: lm}]", List.of()));
    assertTrue(e.getMessage().contains("evaluators[0].data must be set"), e.getMessage());
  }

  @Test
  void instanceFilterKeysTakeOlmoDefaults() {
    TrainConfig c = ConfigLoader.fromYaml("data: {instance_filter: {repetition_max_count: 8}}", List.of());
    assertEquals(new InstanceFilterConfig(13, 1, 8), c.data().instanceFilter());
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.fromYaml(
        "data: {instance_filter: {repetition_min_period: 5, repetition_max_period: 4}}", List.of()));
    assertTrue(e.getMessage().contains("data.instance_filter.repetition_max_period (4) must be >= "
        + "data.instance_filter.repetition_min_period (5)"), e.getMessage());
  }
}
