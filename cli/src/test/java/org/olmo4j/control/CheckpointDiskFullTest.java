package org.olmo4j.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.checkpoint.CheckpointStore;
import org.olmo4j.checkpoint.ShardReader;
import org.olmo4j.cli.ClusterNode;
import org.olmo4j.node.ClusterRuns;
import org.olmo4j.node.FileEvents;
import org.olmo4j.proto.control.RunEvent;
import org.olmo4j.proto.control.Status;
import org.slf4j.LoggerFactory;

/**
 * A full disk during a checkpoint, on two JVMs (this one and a child) on 127.0.0.1 whose save
 * folder is a small tmpfs the test mounts (skipped where mounting is not permitted). The run is
 * paused after checkpoint step 10, the disk filled, the run resumed: step 20's checkpoint fails
 * with one error line, a checkpoint_failed notice, GetStatus and /metrics fields, {@code latest}
 * stays step10 and training goes on; with space again, step 30 and the final step 40 commit, and
 * every committed checkpoint verifies.
 */
class CheckpointDiskFullTest {

  private static final Duration WAIT = Duration.ofSeconds(120);
  /** Room left on the full disk: the metrics lines fit, a shard (about 210 KB) does not. */
  private static final long HEADROOM = 128 * 1024;

  @TempDir static Path tmp;
  private static Path disk;
  private static boolean mounted;

  @BeforeAll
  static void mountTmpfs() throws Exception {
    disk = Files.createDirectories(tmp.resolve("disk"));
    String out = run("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", disk.toString());
    assumeTrue(out == null, "cannot mount a tmpfs here (" + out + "): the full-disk test is skipped");
    mounted = true;
  }

  @AfterAll
  static void unmount() throws Exception {
    if (mounted) {
      String out = run("umount", "-l", disk.toString());
      assertTrue(out == null, "umount " + disk + ": " + out);
    }
  }

  /** Runs a command; null when it succeeded, else its output and exit status. */
  private static String run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0 ? null
        : out + " (exit " + (p.isAlive() ? "none" : p.exitValue()) + ")";
  }

  @Test
  void aFullDiskFailsOneCheckpointAndTheRunGoesOn() throws Exception {
    Path data = ClusterRuns.writeTokens(tmp);
    Path save = disk.resolve("run");
    Path tokenFile = tmp.resolve("token");
    Files.writeString(tokenFile, "disk-full-token\n");
    String yaml = ClusterRuns.yaml(data, save, 1, 2, 40, 10,
        "control: {port: 0, token_file: " + tokenFile + "}");
    Path cfgFile = tmp.resolve("run.yaml");
    Files.writeString(cfgFile, yaml);
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    log.start();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.addAppender(log);
    ClusterNode.Handle first = ClusterNode.start(ClusterRuns.config(yaml), "127.0.0.1", 0, List.of());
    int port = Cluster.get(first.system()).selfMember().address().getPort().get();
    Path childLog = tmp.resolve("child.log");
    // A slower child (so the whole world) leaves time to pause between two checkpoints.
    Process child = ClusterRuns.startCliJvm(childLog, List.of("node", cfgFile.toString(),
        "--seed-nodes=127.0.0.1:" + port, "--port=0"), Map.of(),
        List.of("-Dolmo4j.test.step_delay_ms=100"));
    Path filler = disk.resolve("filler");
    Path staging = null;
    try {
      FileEvents.await(save, WAIT, "control.json written",
          () -> Files.exists(save.resolve("control.json")), child.onExit());
      try (ControlConnection ctl = new ControlConnection("127.0.0.1", ControlEndpoint.of(save).port(),
          "disk-full-token", false)) {
        CompletableFuture<RunEvent> paused = notice(ctl, "paused");
        CompletableFuture<RunEvent> failed = notice(ctl, "checkpoint_failed");
        FileEvents.await(save, WAIT, "checkpoint step 10", () -> latest(save).equals("step10"),
            child.onExit());
        ctl.pause();
        long pausedAt = paused.get(WAIT.toSeconds(), TimeUnit.SECONDS).getNotice().getStep();
        assertTrue(pausedAt > 10 && pausedAt < 20, "paused between two checkpoints: " + pausedAt);

        fill(filler, Files.getFileStore(disk).getUsableSpace() - HEADROOM);
        ctl.resume();
        RunEvent notice = failed.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        String error = notice.getNotice().getMessage();
        System.out.println("checkpoint_failed notice: step " + notice.getNotice().getStep() + ": " + error);
        // Training goes on; latest stays step10; the control plane shows the failure.
        Status s = ctl.status();
        assertEquals(20, notice.getNotice().getStep());
        staging = new CheckpointStore(save).tmpDir(20, s.getGeneration());
        assertTrue(error.startsWith("writing " + staging.resolve("shard-"))
            && error.endsWith("failed: IOException: No space left on device"), error);
        assertEquals(1, s.getCheckpointFailures(), s.toString());
        assertEquals(20, s.getCheckpointFailedStep());
        assertEquals(error, s.getCheckpointFailedError());
        assertEquals(10, s.getLastCheckpointStep());
        assertEquals("step10", latest(save));
        String metrics = get(save, "/metrics");
        assertEquals(1, value(metrics, "olmo4j_checkpoint_failures_total"), metrics);
        assertEquals(20, value(metrics, "olmo4j_checkpoint_failed_step"), metrics);

        Files.delete(filler); // space again: the next save_interval's checkpoint commits
        first.system().getWhenTerminated().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
      }
      assertEquals(0, first.exitCode().getNow(-1), "the run finished");
      assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child node exits");
      assertEquals(0, child.exitValue(), "exit code of the child node");

      // One error line for the failed checkpoint, naming the path and the cause (the
      // Checkpointers leave the report to the coordinator).
      List<String> errors = log.list.stream().filter(e -> e.getLevel() == Level.ERROR)
          .map(ILoggingEvent::getFormattedMessage)
          .filter(m -> m.contains("step 20") || m.contains("step20")).toList();
      assertEquals(1, errors.size(), String.join("\n", errors));
      System.out.println("the error line: " + errors.get(0));
      assertTrue(errors.get(0).startsWith("checkpoint of step 20 failed: writing " + save)
          && errors.get(0).contains("No space left on device; training goes on, step10 stays the "
          + "latest checkpoint and the next save_interval tries again"), errors.get(0));
      assertFalse(Files.readAllLines(childLog).stream()
          .anyMatch(l -> l.contains(" ERROR ") && l.contains("step20.")), Files.readString(childLog));

      // Nothing committed is lost or corrupted, and the run can resume from latest.
      CheckpointStore store = new CheckpointStore(save);
      assertEquals(List.of(10L, 30L, 40L), store.committedSteps());
      assertFalse(Files.exists(staging), "the failed step's staging was removed");
      for (long step : store.committedSteps()) {
        CheckpointStore.verify(store.stepDir(step));
      }
      assertEquals("step40", latest(save));
      try (ShardReader r = ShardReader.open(store.latest().orElseThrow())) {
        assertEquals(40, r.manifest().step());
        float[] master = new float[(int) r.manifest().totalElements()];
        r.readMaster(0, master, 0, master.length);
      }
    } finally {
      root.detachAppender(log);
      Files.deleteIfExists(filler);
      child.destroyForcibly();
      first.system().terminate();
      first.system().getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  /** The first notice of {@code kind} from now on. */
  private static CompletableFuture<RunEvent> notice(ControlConnection ctl, String kind) {
    return ctl.watch().filter(e -> e.getNotice().getKind().equals(kind))
        .runWith(Sink.head(), ctl.system()).toCompletableFuture();
  }

  private static String latest(Path save) throws IOException {
    Path f = save.resolve(CheckpointStore.LATEST);
    return Files.exists(f) ? Files.readString(f).strip() : "";
  }

  /** Writes {@code bytes} bytes into {@code file}: the disk is then (nearly) full. */
  private static void fill(Path file, long bytes) throws IOException {
    byte[] block = new byte[64 * 1024];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long left = bytes; left > 0; left -= block.length) {
        out.write(block, 0, (int) Math.min(block.length, left));
      }
    }
  }

  private static String get(Path save, String path) throws Exception {
    HttpResponse<String> r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
        .send(HttpRequest.newBuilder(URI.create("http://" + ControlEndpoint.of(save) + path))
            .header("Authorization", "Bearer disk-full-token").build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return r.body();
  }

  private static double value(String metrics, String name) {
    Matcher m = Pattern.compile("^" + name + " (\\S+)$", Pattern.MULTILINE).matcher(metrics);
    assertTrue(m.find(), name + " in\n" + metrics);
    return Double.parseDouble(m.group(1));
  }
}
