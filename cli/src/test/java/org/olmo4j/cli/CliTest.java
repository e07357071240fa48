package org.olmo4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.node.ClusterRuns;
import picocli.CommandLine;

/** The CLI end to end on real files: train, info, export-hf, import-hf, score, errors. */
class CliTest {

  @TempDir static Path tmp;
  static Path config;
  static Path tokens;

  /** Result of one CLI run: exit code, stdout, stderr. */
  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    PrintStream old = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    StringWriter err = new StringWriter();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      CommandLine cl = Main.commandLine();
      cl.setErr(new PrintWriter(err, true));
      int code = cl.execute(args);
      return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString());
    } finally {
      System.setOut(old);
    }
  }

  @BeforeAll
  static void tinyRunOnRealFiles() throws Exception {
    Path data = ClusterRuns.writeTokens(tmp);
    config = tmp.resolve("tiny.yaml");
    Files.writeString(config, String.join("\n",
        "run_name: cli-test",
        "max_duration: 6",
        "global_train_batch_size: 4",
        "device_train_microbatch_size: 2",
        "precision: fp32",
        "save_folder: " + tmp.resolve("run"),
        "save_interval: 3",
        "save_num_checkpoints_to_keep: 2",
        "model: {d_model: 32, n_heads: 2, n_layers: 2, mlp_ratio: 4, vocab_size: 64,",
        "  embedding_size: 64, max_sequence_length: 16, eos_token_id: 63, pad_token_id: 62,",
        "  init_fn: mitchell, weight_tying: false}",
        "optimizer: {learning_rate: 0.01}",
        "scheduler: {name: constant}",
        "data: {paths: [" + data + "]}",
        ""));
    tokens = tmp.resolve("score.txt");
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      sb.append((i * 3) % 60).append(i % 10 == 9 ? "\n" : " ");
    }
    Files.writeString(tokens, sb.toString());
    Run r = run("train", config.toString(), "--port=0");
    assertEquals(0, r.code(), r.err());
  }

  @Test
  void trainWritesMetricsAndCheckpointsWithRetention() throws Exception {
    Path run = tmp.resolve("run");
    assertEquals("step6", Files.readString(run.resolve("latest")).trim());
    assertTrue(Files.isDirectory(run.resolve("step3")));
    var lines = Files.readAllLines(run.resolve("metrics.jsonl"));
    assertEquals(6, lines.size());
    JsonNode last = new ObjectMapper().readTree(lines.get(5));
    for (String key : new String[] {"step", "loss", "lr", "grad_norm", "tokens", "tokens_per_s", "mfu"}) {
      assertTrue(last.has(key), "metrics line has " + key + ": " + last);
    }
    assertEquals(6 * 4 * 16, last.get("tokens").asLong());
  }

  @Test
  void infoPrintsOfficialParameterCounts() {
    Run one = run("info", Path.of("../configs/OLMo-1B.yaml").toString());
    assertEquals(0, one.code(), one.err());
    assertTrue(one.out().contains("\nparameters 1176764416\n"), one.out());
    Run seven = run("info", Path.of("../configs/OLMo-7B.yaml").toString());
    assertTrue(seven.out().contains("\nparameters 6888095744\n"), seven.out());
  }

  @Test
  void exportImportAndScoreAgree() throws Exception {
    Path ckpt = tmp.resolve("run/step6");
    Path hf = tmp.resolve("hf");
    assertEquals(0, run("export-hf", ckpt.toString(), hf.toString()).code());
    JsonNode hfConfig = new ObjectMapper().readTree(hf.resolve("config.json").toFile());
    assertEquals("olmo", hfConfig.get("model_type").asText());
    assertTrue(Files.size(hf.resolve("model.safetensors")) > 0);

    Path imported = tmp.resolve("imported");
    Run imp = run("import-hf", hf.toString(), imported.toString(), "--config", config.toString());
    assertEquals(0, imp.code(), imp.err());

    JsonNode fromCkpt = score(ckpt);
    JsonNode fromHf = score(hf);
    JsonNode fromImported = score(imported);
    assertEquals(39, fromCkpt.get("tokens").asLong());
    assertEquals(fromCkpt.get("loss").asDouble(), fromHf.get("loss").asDouble(), 0.0);
    assertEquals(fromCkpt.get("loss").asDouble(), fromImported.get("loss").asDouble(), 0.0);
    assertTrue(fromCkpt.get("loss").asDouble() > 0);
  }

  private static JsonNode score(Path model) throws Exception {
    Run r = run("score", model.toString(), tokens.toString());
    assertEquals(0, r.code(), r.err());
    return new ObjectMapper().readTree(r.out().trim());
  }

  @Test
  void userErrorsAreOneClearLine() throws Exception {
    Run badKey = run("train", config.toString(), "--port=0", "--optimizer.learning_rat=1");
    assertEquals(2, badKey.code());
    assertTrue(badKey.err().contains("optimizer.learning_rat"), badKey.err());

    Path odd = tmp.resolve("odd.npy");
    Files.write(odd, new byte[] {1, 2, 3});
    Run badData = run("train", config.toString(), "--port=0", "--data.paths=[" + odd + "]",
        "--save_folder=" + tmp.resolve("odd-run"));
    assertEquals(2, badData.code());
    assertTrue(badData.err().contains(odd.toString()), badData.err());

    Path badTokens = tmp.resolve("bad-tokens.txt");
    Files.writeString(badTokens, "1 2 999");
    Run badScore = run("score", tmp.resolve("run").toString(), badTokens.toString());
    assertEquals(2, badScore.code());
    assertTrue(badScore.err().contains("999"), badScore.err());

    Run noTokenFile = run("train", config.toString(), "--port=0",
        "--control.token_file=" + tmp.resolve("missing-token"));
    assertEquals(2, noTokenFile.code());
    assertTrue(noTokenFile.err().contains("control.token_file"), noTokenFile.err());
    Run cuda = run("train", config.toString(), "--port=0", "--cluster.device=cuda");
    assertEquals(2, cuda.code());
    assertTrue(cuda.err().contains("cluster.device = cuda, but this libtorch")
        && cuda.err().contains("PYTORCH_LIBRARY_PATH") && cuda.err().lines().count() == 1,
        cuda.err());
    Run noSecret = run("train", config.toString(), "--port=0",
        "--cluster.secret_env=OLMO4J_TEST_SECRET_THAT_IS_NOT_SET");
    assertEquals(2, noSecret.code());
    assertTrue(noSecret.err().contains("cluster.secret_env"), noSecret.err());

    // The 6-step run's checkpoint resumed with another data order: refused before anything runs.
    Run otherData = run("train", config.toString(), "--port=0", "--try_load_latest_save=true",
        "--max_duration=9", "--data.seed=7");
    assertEquals(2, otherData.code(), otherData.err());
    assertTrue(otherData.err().contains("step6 was written for other training data (saved → now:"
        + " data seed (data.seed, else seed)")
        && otherData.err().contains("→ 7)") && otherData.err().lines().count() == 1,
        otherData.err());
    assertEquals("step6", Files.readString(tmp.resolve("run").resolve("latest")).trim());
  }
}
