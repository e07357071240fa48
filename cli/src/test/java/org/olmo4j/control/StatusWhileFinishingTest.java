package org.olmo4j.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.StatusRuntimeException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.hf.HfConfig;
import org.olmo4j.cli.ClusterNode;
import org.olmo4j.node.ClusterRuns;
import org.olmo4j.node.FileEvents;
import org.olmo4j.proto.control.Status;

/**
 * The coordinator never waits on its own thread: while the run's last unsharded export is held
 * by a write that cannot complete (a FIFO no one reads, as on a hung file system) and its last eval
 * rounds are being collected, status requests are answered at once and the state says so.
 */
class StatusWhileFinishingTest {

  /** The bound for a status answer while the run finishes. */
  private static final long STATUS_MILLIS = 200;

  @TempDir Path tmp;

  @Test
  void statusAnswersWhileTheLastExportAndEvalFlushAreInProgress() throws Exception {
    Path data = ClusterRuns.writeTokens(tmp);
    Path save = tmp.resolve("run");
    Path tokenFile = tmp.resolve("token");
    Files.writeString(tokenFile, "s3cret-token\n");
    String yaml = ClusterRuns.yaml(data, save, 1, 1, 40, 20,
        "control: {port: 0, token_file: " + tokenFile + "}",
        "save_interval_unsharded: 40",
        "eval_interval: 20",
        "evaluators:",
        "- {label: lm, type: lm, device_eval_batch_size: 2, subset_num_batches: 2,",
        "   data: {datasets: {heldout: [" + data + "]}}}");
    // The export of the final checkpoint writes config.json first; a FIFO there holds it.
    Path exportDir = save.resolve("step40-unsharded");
    Files.createDirectories(exportDir);
    Path fifo = exportDir.resolve(HfConfig.FILE);
    assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0,
        "mkfifo is not available here");
    CompletableFuture<String> exportedConfig = new CompletableFuture<>();
    AtomicBoolean readerStarted = new AtomicBoolean();
    ClusterNode.Handle node = ClusterNode.start(ClusterRuns.config(yaml), "127.0.0.1", 0, List.of());
    try {
      FileEvents.await(save, Duration.ofSeconds(120), "control.json written",
          () -> Files.exists(save.resolve("control.json")));
      try (ControlConnection ctl =
          new ControlConnection("127.0.0.1", ControlEndpoint.of(save).port(), "s3cret-token", false)) {
        ctl.watch().filter(e -> e.getNotice().getKind().equals("finishing")).take(1)
            .runWith(Sink.seq(), ctl.system()).toCompletableFuture().get(120, TimeUnit.SECONDS);
        // No one has opened the FIFO for reading: the export is still in progress.
        for (int i = 0; i < 5; i++) {
          long start = System.nanoTime();
          Status s = ctl.status();
          long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
          assertEquals("finishing", s.getState());
          assertEquals(40, s.getStep());
          assertTrue(millis < STATUS_MILLIS, "status answered in " + millis + " ms while finishing");
        }
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, ctl::save);
        assertEquals("FAILED_PRECONDITION", refused.getStatus().getCode().name());
        assertTrue(refused.getStatus().getDescription().contains("finishing"),
            refused.getStatus().toString());
      }
      readInBackground(fifo, exportedConfig, readerStarted);
      node.system().getWhenTerminated().toCompletableFuture().get(120, TimeUnit.SECONDS);
      assertEquals(0, node.exitCode().getNow(-1), "clean exit once the export has ended");
      assertTrue(exportedConfig.get(10, TimeUnit.SECONDS).contains("OlmoForCausalLM"));
      assertTrue(Files.size(exportDir.resolve("model.safetensors")) > 0, "the export completed");
      assertTrue(evalSteps(save).contains(40L), "the last eval round reached metrics.jsonl");
    } finally {
      readInBackground(fifo, exportedConfig, readerStarted); // a held export must not outlive the test
      node.system().terminate();
    }
  }

  /** Opens the FIFO for reading (releasing its writer) on another thread, once. */
  private static void readInBackground(Path fifo, CompletableFuture<String> into, AtomicBoolean started) {
    if (!started.compareAndSet(false, true)) {
      return;
    }
    Thread reader = new Thread(() -> {
      try (InputStream in = Files.newInputStream(fifo)) {
        into.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      } catch (Exception e) {
        into.completeExceptionally(e);
      }
    }, "fifo-reader");
    reader.setDaemon(true);
    reader.start();
  }

  private static List<Long> evalSteps(Path save) throws Exception {
    ObjectMapper json = new ObjectMapper();
    return Files.readAllLines(save.resolve("metrics.jsonl")).stream()
        .map(l -> { try { return json.readTree(l); } catch (Exception e) { throw new IllegalStateException(e); } })
        .filter(n -> !n.has("loss"))
        .map(n -> n.get("step").asLong()).toList();
  }
}
