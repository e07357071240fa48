package org.olmo4j.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.cli.Main;

/**
 * In-loop evaluation on a real one-JVM cluster: every eval_interval the workers score their
 * shares and the Evaluator's metrics reach metrics.jsonl; N = 1 and N = 2 agree, and
 * {@code olmo4j eval} on the step's checkpoint gives the in-loop numbers.
 */
class InLoopEvalTest {

  @TempDir static Path tmp;
  static Path data;
  static Path task;
  static Map<Long, Map<String, Double>> one;
  static Map<Long, Map<String, Double>> two;
  static Map<Long, Map<String, Double>> twoFullShard;
  static Map<Long, Map<String, Double>> fourHybrid;

  static final String TASK = String.join("\n",
      "{\"context\": \"The cat sat on the\", \"continuations\": [\" mat.\", \" moon\", \" dog\"], "
          + "\"gold\": 0, \"unconditional_context\": \"Answer:\"}",
      "{\"context\": \"Water boils at\", \"continuations\": [\" 100 degrees\", \" noon\"], \"gold\": 0, "
          + "\"unconditional_context\": \"Answer:\"}",
      "{\"contexts\": [\"Anna gave Bob\", \"Bob gave Anna\"], \"continuations\": [\" a book.\", "
          + "\" a book.\"], \"gold\": 1, \"unconditional_context\": \"Answer:\"}",
      "{\"context\": \"1 2 3 4\", \"continuations\": [\" 5\", \" 7\", \" four\"], \"gold\": 0, "
          + "\"unconditional_context\": \"Answer:\"}",
      "{\"context\": \"Red, green and\", \"continuations\": [\" blue\", \" seven\"], \"gold\": 0, "
          + "\"unconditional_context\": \"Answer:\"}", "");

  /** A 10-step run on OLMo's vocabulary (the tasks use the real tokenizer), eval every 5 steps. */
  static String yaml(Path save, int workers) {
    List<String> evaluators = new ArrayList<>(List.of(
        "- {label: lm, type: lm, device_eval_batch_size: 3, subset_num_batches: 3,",
        "   data: {datasets: {first: [" + data + "], again: [" + data + "]}}}"));
    for (String metric : List.of("acc", "len_norm", "pmi_dc", "bpb")) {
      evaluators.add("- {label: t_" + metric + ", type: downstream, metric: " + metric
          + ", device_eval_batch_size: 4, data: {paths: [" + task + "]}}");
    }
    List<String> lines = new ArrayList<>(List.of(
        "run_name: eval-test", "max_duration: 10", "global_train_batch_size: 4",
        "device_train_microbatch_size: 2", "precision: fp32", "save_folder: " + save,
        "save_interval: 5", "save_num_checkpoints_to_keep: -1",
        "model: {d_model: 32, n_heads: 2, n_layers: 2, mlp_ratio: 4, max_sequence_length: 32,",
        "  init_fn: mitchell}",
        "optimizer: {learning_rate: 0.01}", "scheduler: {name: cosine_with_warmup, t_warmup: 2}",
        "data: {paths: [" + data + "]}",
        "cluster: {workers_per_node: " + workers + ", min_workers: " + workers
            + ", exchange_timeout_seconds: 30}",
        "eval_interval: 5", "evaluators:"));
    lines.addAll(evaluators);
    return String.join("\n", lines) + "\n";
  }

  @BeforeAll
  static void runWithOneAndTwoWorkers() throws Exception {
    data = ClusterRuns.writeTokens(tmp);
    task = tmp.resolve("task.jsonl");
    Files.writeString(task, TASK);
    ClusterRuns.runInJvm(ClusterRuns.config(yaml(tmp.resolve("n1"), 1)));
    ClusterRuns.runInJvm(ClusterRuns.config(yaml(tmp.resolve("n2"), 2)));
    ClusterRuns.runInJvm(ClusterRuns.config(yaml(tmp.resolve("n2-full"), 2)
        + "fsdp: {sharding_strategy: FULL_SHARD}\n"));
    ClusterRuns.runInJvm(ClusterRuns.config(yaml(tmp.resolve("n4-hybrid"), 4)
        + "fsdp: {sharding_strategy: HYBRID_SHARD, hybrid_sharding_num_model_replicas: 2}\n"));
    one = evalLines(tmp.resolve("n1"));
    two = evalLines(tmp.resolve("n2"));
    twoFullShard = evalLines(tmp.resolve("n2-full"));
    fourHybrid = evalLines(tmp.resolve("n4-hybrid"));
  }

  /** step → the eval/… metrics of that step's eval line in metrics.jsonl. */
  static Map<Long, Map<String, Double>> evalLines(Path save) throws Exception {
    Map<Long, Map<String, Double>> out = new TreeMap<>();
    for (String line : Files.readAllLines(save.resolve("metrics.jsonl"))) {
      JsonNode n = new ObjectMapper().readTree(line);
      if (!n.has("loss")) {
        Map<String, Double> m = new TreeMap<>();
        n.fields().forEachRemaining(f -> {
          if (f.getKey().startsWith("eval/")) {
            m.put(f.getKey(), f.getValue().asDouble());
          }
        });
        assertTrue(n.get("eval_tokens_per_s").asDouble() > 0, line);
        out.put(n.get("step").asLong(), m);
      }
    }
    return out;
  }

  static final List<String> EXPECTED = List.of(
      "eval/downstream/t_acc_acc", "eval/downstream/t_bpb_bpb", "eval/downstream/t_len_norm_len_norm",
      "eval/downstream/t_pmi_dc_pmi_dc", "eval/lm/CrossEntropyLoss", "eval/lm/Perplexity",
      "eval/lm/again/CrossEntropyLoss", "eval/lm/again/Perplexity", "eval/lm/first/CrossEntropyLoss",
      "eval/lm/first/Perplexity");

  @Test
  void everyIntervalPublishesEveryMetric() {
    assertEquals(List.of(5L, 10L), List.copyOf(one.keySet()), "eval steps with N=1");
    assertEquals(List.of(5L, 10L), List.copyOf(two.keySet()), "eval steps with N=2");
    assertEquals(EXPECTED, List.copyOf(one.get(10L).keySet()));
    // The same file twice under two labels: same CE, and the combined CE equals it.
    Map<String, Double> m = one.get(10L);
    assertEquals(m.get("eval/lm/first/CrossEntropyLoss"), m.get("eval/lm/again/CrossEntropyLoss"), 1e-12);
    assertEquals(m.get("eval/lm/first/CrossEntropyLoss"), m.get("eval/lm/CrossEntropyLoss"), 1e-9);
    assertTrue(one.get(10L).get("eval/lm/CrossEntropyLoss") < one.get(5L).get("eval/lm/CrossEntropyLoss"),
        "the model learns between the two evals: " + one);
  }

  @Test
  void oneAndTwoWorkersGiveTheSameMetrics() {
    assertSameMetrics(two, "N=2");
  }

  /** FULL_SHARD: the ranks score their shares unit by unit, gathering each unit (collectively). */
  @Test
  void twoFullShardWorkersGiveTheSameMetrics() {
    assertSameMetrics(twoFullShard, "N=2 FULL_SHARD");
  }

  /** HYBRID_SHARD, 2 replicas of 2: each rank scores its share gathering within its shard group. */
  @Test
  void fourHybridShardWorkersGiveTheSameMetrics() {
    assertSameMetrics(fourHybrid, "N=4 HYBRID_SHARD (R=2)");
  }

  private static void assertSameMetrics(Map<Long, Map<String, Double>> other, String what) {
    assertEquals(one.keySet(), other.keySet(), what + ": eval steps");
    for (long step : one.keySet()) {
      for (String k : EXPECTED) {
        double a = one.get(step).get(k);
        double b = other.get(step).get(k);
        double rel = Math.abs(a - b) / Math.max(1e-12, Math.abs(a));
        assertTrue(rel < 1e-5, "step " + step + " " + k + ": N=1 " + a + " vs " + what + " " + b
            + " (" + rel + ")");
      }
    }
  }

  @Test
  void offlineEvalOfTheCheckpointGivesTheInLoopNumbers() throws Exception {
    for (String run : List.of("n1", "n2")) {
      JsonNode offline = offline(tmp.resolve(run).resolve("step10"));
      assertEquals(10, offline.get("step").asLong());
      Map<String, Double> inLoop = (run.equals("n1") ? one : two).get(10L);
      for (String k : EXPECTED) {
        double a = inLoop.get(k);
        double b = offline.get(k).asDouble();
        double rel = Math.abs(a - b) / Math.max(1e-12, Math.abs(a));
        assertTrue(rel < 1e-6, run + " " + k + ": in-loop " + a + " vs offline " + b + " (" + rel + ")");
      }
    }
  }

  @Test
  void offlineEvalNamesTheBadLineOfATaskFile() throws Exception {
    Path bad = tmp.resolve("bad.jsonl");
    Files.writeString(bad, TASK.lines().findFirst().orElseThrow() + "\n{\"context\": \"x\", "
        + "\"continuations\": [\" a\", \" b\"], \"gold\": 5}\n");
    Path cfg = tmp.resolve("bad.yaml");
    Files.writeString(cfg, yaml(tmp.resolve("unused"), 1).replace(task.toString(), bad.toString()));
    java.io.StringWriter err = new java.io.StringWriter();
    var cl = Main.commandLine();
    cl.setErr(new java.io.PrintWriter(err, true));
    int code = cl.execute("eval", tmp.resolve("n1").resolve("step10").toString(), "--config", cfg.toString());
    assertEquals(2, code, err.toString());
    assertTrue(err.toString().contains(bad + ":2: gold index 5 is out of range [0, 2)"), err.toString());
  }

  static JsonNode offline(Path checkpoint) throws Exception {
    PrintStream old = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      code = Main.commandLine().execute("eval", checkpoint.toString());
    } finally {
      System.setOut(old);
    }
    String text = out.toString(StandardCharsets.UTF_8);
    assertEquals(0, code, text);
    assertTrue(text.startsWith("eval at step 10"), text);
    List<String> lines = text.lines().toList();
    return new ObjectMapper().readTree(lines.get(lines.size() - 1));
  }
}
