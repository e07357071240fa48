package org.olmo4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.node.ClusterRuns;

/** Remote data paths and OLMo's label-only downstream tasks, as the CLI meets them. */
class RemoteDataCliTest {

  @TempDir Path tmp;

  private Path config(String dataPaths, String... extra) throws Exception {
    Path config = tmp.resolve("remote.yaml");
    Files.writeString(config, String.join("\n",
        "run_name: remote-test",
        "max_duration: 2",
        "global_train_batch_size: 2",
        "device_train_microbatch_size: 2",
        "precision: fp32",
        "save_folder: " + tmp.resolve("run"),
        "model: {d_model: 32, n_heads: 2, n_layers: 1, mlp_ratio: 4, vocab_size: 64,",
        "  embedding_size: 64, max_sequence_length: 16, eos_token_id: 63, pad_token_id: 62}",
        "data: {paths: [" + dataPaths + "]}",
        "evaluators: [{label: piqa, type: downstream}, {label: hellaswag, type: downstream}]",
        String.join("\n", extra),
        ""));
    return config;
  }

  @Test
  void infoTouchesNoDataAndAsksForNoTaskFile() throws Exception {
    AtomicInteger requests = new AtomicInteger();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", x -> {
      requests.incrementAndGet();
      x.sendResponseHeaders(404, -1);
      x.close();
    });
    server.start();
    try {
      String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/olmo-data/part-0.npy";
      CliTest.Run r = CliTest.run("info", config(url).toString());
      assertEquals(0, r.code(), r.err());
      assertTrue(r.out().contains("\nparameters "), r.out());
      assertEquals(0, requests.get(), "info made no request");
    } finally {
      server.stop(0);
    }
  }

  @Test
  void trainOnAnUnmappedBucketFailsWithOneLine() throws Exception {
    CliTest.Run r = CliTest.run("train", config("s3://ai2-llm/preprocessed/part-0.npy").toString(),
        "--port=0", "--eval_skip_missing=true");
    assertEquals(2, r.code(), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().startsWith("error: data path s3://ai2-llm/preprocessed/part-0.npy: olmo4j "
        + "reads local files and http(s) only, not s3://; "), r.err());
    assertTrue(r.err().contains("--data.remote_prefix_map=s3://ai2-llm=https://HOST/PATH"), r.err());
  }

  @Test
  void trainWithLabelOnlyTasksNamesThemAtStart() throws Exception {
    CliTest.Run r = CliTest.run("train", config(tmp.resolve("none.npy").toString()).toString(), "--port=0");
    assertEquals(2, r.code(), r.err());
    assertFalse(r.err().strip().contains("\n"), r.err());
    assertTrue(r.err().startsWith("error: evaluators[0] 'piqa' (downstream) has no data: "), r.err());
    assertTrue(r.err().contains("convert-eval-task --format hellaswag"), r.err());
  }

  @Test
  void withSkipMissingTheRunGoesOnWithoutThem() throws Exception {
    Path data = ClusterRuns.writeTokens(tmp);
    CliTest.Run r = CliTest.run("train", config(data.toString(), "eval_skip_missing: true").toString(),
        "--port=0");
    assertEquals(0, r.code(), r.err());
    assertEquals(2, Files.readAllLines(tmp.resolve("run/metrics.jsonl")).size());
  }
}
