package org.olmo4j.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.checkpoint.CheckpointStore;
import org.olmo4j.checkpoint.ShardReader;
import org.olmo4j.cli.ClusterNode;

/**
 * The token file is truncated under a run of two JVMs (this one and a child) on 127.0.0.1: the
 * ranks read a step ahead, so every rank checkpoints the last step it completed and the run
 * stops with exit code 1 and one line naming the file; nothing trained is lost.
 */
class DataFileUnreadableTest {

  private static final Duration WAIT = Duration.ofSeconds(120);

  @TempDir Path tmp;

  @Test
  void aTruncatedTokenFileStopsTheRunWithACheckpointOfTheLastStep() throws Exception {
    Path data = ClusterRuns.writeTokens(tmp);
    long bytes = Files.size(data);
    Path save = tmp.resolve("run");
    // No save_interval checkpoint before the truncation: the only checkpoint is the stop's.
    String yaml = ClusterRuns.yaml(data, save, 1, 2, 100_000, 10_000);
    Path cfgFile = tmp.resolve("run.yaml");
    Files.writeString(cfgFile, yaml);
    ClusterNode.Handle first = ClusterNode.start(ClusterRuns.config(yaml), "127.0.0.1", 0, List.of());
    int port = Cluster.get(first.system()).selfMember().address().getPort().get();
    Path childLog = tmp.resolve("child.log");
    // A slower child keeps the run going while the test truncates the file.
    Process child = ClusterRuns.startCliJvm(childLog, List.of("node", cfgFile.toString(),
        "--seed-nodes=127.0.0.1:" + port, "--port=0"), Map.of(),
        List.of("-Dolmo4j.test.step_delay_ms=30"));
    try {
      Path metrics = save.resolve("metrics.jsonl");
      FileEvents.await(save, WAIT, "10 steps", () -> steps(metrics).size() >= 10, child.onExit());
      assertTrue(child.isAlive(), "the run got going: " + Files.readString(childLog));
      try (FileChannel c = FileChannel.open(data, StandardOpenOption.WRITE)) {
        c.truncate(0); // the same file, now empty: the mapped pages can no longer be read
      }

      first.system().getWhenTerminated().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertEquals(1, first.exitCode().getNow(-1), "exit code of the coordinator's node");
      assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child node exits");
      assertEquals(1, child.exitValue(), "exit code of the child node");

      // The last step trained is the checkpoint: latest names it, it verifies and reads back.
      List<Long> trained = steps(metrics);
      long last = trained.get(trained.size() - 1);
      assertTrue(last > 10 && last < 100_000, "stopped mid-run at step " + last);
      String latest = Files.readString(save.resolve(CheckpointStore.LATEST)).strip();
      assertEquals("step" + last, latest, "the checkpoint of the last completed step");
      CheckpointStore.verify(save.resolve(latest));
      try (ShardReader r = ShardReader.open(save.resolve(latest))) {
        assertEquals(last, r.manifest().step());
        float[] master = new float[(int) r.manifest().totalElements()];
        r.readMaster(0, master, 0, master.length);
      }

      // One line on the child's node names the file and why the run stopped.
      String expected = "token file " + data + " became unreadable during the run (it has 0 bytes, "
          + bytes + " when it was opened)";
      List<String> naming = Files.readAllLines(childLog).stream()
          .filter(l -> l.contains("became unreadable")).toList();
      assertEquals(1, naming.size(), String.join("\n", naming));
      String line = naming.get(0);
      System.out.println("the child's line: " + line);
      assertTrue(line.contains("stopping node: stopped after checkpoint step " + last + ": rank ")
          && line.contains(" cannot read its data of step " + (last + 1) + ": " + expected), line);
    } finally {
      child.destroyForcibly();
      first.system().terminate();
      first.system().getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  /** The steps of metrics.jsonl's training lines, in order. */
  private static List<Long> steps(Path metrics) throws Exception {
    if (!Files.exists(metrics)) {
      return List.of();
    }
    ObjectMapper json = new ObjectMapper();
    return Files.readAllLines(metrics).stream().map(l -> {
      try {
        return json.readTree(l);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }).filter(n -> n.has("loss")).map(n -> n.get("step").asLong()).toList();
  }
}
