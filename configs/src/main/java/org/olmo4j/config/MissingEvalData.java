package org.olmo4j.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Downstream evaluators named as in OLMo's task map ({@code piqa}, {@code hellaswag}, …) but
 * without {@code data}: OLMo downloads those tasks from Hugging Face; olmo4j reads a local task
 * file. At the start of {@code train} / {@code eval} each one is an error that says how to make
 * its file, or, with {@code eval_skip_missing: true}, a warning and the run goes on without it.
 * ({@code info} reads no data and does not ask.)
 */
public final class MissingEvalData {

  /** OLMo task (label without its oe-eval suffix) → the {@code convert-eval-task} format for it. */
  private static final Map<String, String> CONVERTERS = Map.ofEntries(
      Map.entry("piqa", "piqa"), Map.entry("hellaswag", "hellaswag"),
      Map.entry("winogrande", "winogrande"), Map.entry("openbook_qa", "openbookqa"),
      Map.entry("openbookqa", "openbookqa"), Map.entry("boolq", "boolq"), Map.entry("sciq", "sciq"),
      Map.entry("arc_easy", "arc"), Map.entry("arc_challenge", "arc"), Map.entry("copa", "copa"));
  /** OLMo's oe-eval label suffixes: {@code piqa_rc_0shot}, {@code arc_easy_mc_5shot_bpb}, {@code arc_easy_ppl}. */
  private static final Pattern SUFFIX = Pattern.compile("_(mc|rc)_\\d+shot(_bpb)?$|_ppl$");

  private MissingEvalData() {}

  /**
   * {@code cfg} without its downstream evaluators that lack data, each reported to {@code warn},
   * when {@code eval_skip_missing}; otherwise {@code cfg} itself.
   *
   * @throws ConfigException naming every such evaluator and how to supply its file
   */
  public static TrainConfig check(TrainConfig cfg, Consumer<String> warn) {
    List<EvaluatorConfig> kept = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < cfg.evaluators().size(); i++) {
      EvaluatorConfig e = cfg.evaluators().get(i);
      if (e.data() != null) {
        kept.add(e);
      } else if (cfg.evalSkipMissing()) {
        warn.accept("skipping evaluator '" + e.label() + "' (evaluators[" + i + "]): it has no "
            + "data (eval_skip_missing is true); " + howToSupply(e.label(), i));
      } else {
        problems.add(problem(e, i));
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(String.join("; ", problems));
    }
    return kept.size() == cfg.evaluators().size() ? cfg : cfg.withEvaluators(kept);
  }

  /** The one-line error for evaluator {@code index} without data. */
  public static String problem(EvaluatorConfig e, int index) {
    return "evaluators[" + index + "] '" + e.label() + "' (downstream) has no data: " + howToSupply(e.label(), index)
        + ", or run with --eval_skip_missing=true to go on without it";
  }

  static String howToSupply(String label, int index) {
    String task = label == null ? "" : SUFFIX.matcher(label).replaceFirst("");
    String setPaths = "evaluators[" + index + "].data.paths=[TASK.jsonl]";
    String format = CONVERTERS.get(task);
    if (format != null) {
      return "OLMo downloads this task, olmo4j reads a local task file: convert the data set's "
          + "JSONL with 'bin/olmo4j convert-eval-task --format " + format
          + (format.equals("piqa") ? " --labels LABELS.lst" : "") + " IN.jsonl TASK.jsonl' and set "
          + setPaths;
    }
    return "write its task JSONL (one {\"context\", \"continuations\", \"gold\"} per line; "
        + "'bin/olmo4j convert-eval-task' converts hellaswag, piqa, arc, sciq, copa, boolq, "
        + "openbookqa and winogrande) and set " + setPaths;
  }
}
