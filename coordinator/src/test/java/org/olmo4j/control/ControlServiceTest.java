package org.olmo4j.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.node.ClusterNode;
import org.olmo4j.node.ClusterRuns;
import org.olmo4j.proto.control.RunEvent;
import org.olmo4j.proto.control.Status;

/** Every control call against a real run of two nodes (this JVM and a child) on 127.0.0.1. */
class ControlServiceTest {

  @TempDir Path tmp;

  @Test
  void everyCallSteersARealRunAndRefusalsChangeNothing() throws Exception {
    Path data = ClusterRuns.writeTokens(tmp);
    Path save = tmp.resolve("run");
    Path tokenFile = tmp.resolve("token");
    Files.writeString(tokenFile, "s3cret-token\n");
    // min_workers 1: the world forms with this node's worker, the child's joins at a checkpoint.
    String yaml = ClusterRuns.yaml(data, save, 1, 1, 100_000, 20,
        "control: {port: 0, token_file: " + tokenFile + "}");
    Path cfgFile = tmp.resolve("run.yaml");
    Files.writeString(cfgFile, yaml);
    ClusterNode.Handle first = ClusterNode.start(ClusterRuns.config(yaml), "127.0.0.1", 0, List.of());
    int port = Cluster.get(first.system()).selfMember().address().getPort().get();
    Process child = ClusterRuns.startNodeJvm(cfgFile, port, tmp.resolve("child.log"));
    try {
      waitFor(() -> Files.exists(save.resolve("control.json")), "control.json written");
      int controlPort = ControlEndpoint.of(save).port();
      try (ControlConnection ctl = new ControlConnection("127.0.0.1", controlPort, "s3cret-token", false);
          ControlConnection anonymous = new ControlConnection("127.0.0.1", controlPort, null, false);
          ControlConnection wrong = new ControlConnection("127.0.0.1", controlPort, "guess", false)) {
        waitFor(() -> ctl.status().getWorkersList().stream().filter(w -> w.getRank() >= 0).count() == 2,
            "training in a world of 2");
        Status s = ctl.status();
        assertEquals("training", s.getState());
        assertEquals(2, s.getWorkersList().stream().filter(w -> w.getRank() >= 0).count());

        // Unauthenticated: refused, and nothing changes.
        assertCode("UNAUTHENTICATED", () -> anonymous.status());
        assertCode("UNAUTHENTICATED", () -> wrong.pause());
        assertEquals("training", ctl.status().getState(), "a refused pause changed nothing");
        // Wrong state and oversized requests.
        assertCode("FAILED_PRECONDITION", ctl::resume);
        assertCode("RESOURCE_EXHAUSTED", () -> ctl.drain("x".repeat(100_000)));
        assertCode("FAILED_PRECONDITION", () -> ctl.drain("pekko://olmo4j@127.0.0.1:1"));

        // Watch: step metrics stream in.
        List<RunEvent> events = ctl.watch().take(3).runWith(Sink.seq(), ctl.system())
            .toCompletableFuture().get(60, TimeUnit.SECONDS);
        assertTrue(events.stream().allMatch(RunEvent::hasStep), events.toString());

        // Pause: no step progresses until resume.
        ctl.pause();
        Status paused = ctl.status();
        assertEquals("paused", paused.getState());
        long pausedLines = lines(save);
        Thread.sleep(1500);
        assertEquals(pausedLines, lines(save), "no step while paused");
        assertEquals(paused.getStep(), ctl.status().getStep());
        assertCode("FAILED_PRECONDITION", ctl::pause);
        assertCode("FAILED_PRECONDITION", ctl::save);
        ctl.resume();
        waitFor(() -> lines(save) > pausedLines + 3, "steps after resume");

        // Save: returns once committed.
        var saved = ctl.save();
        assertTrue(Files.exists(Path.of(saved.getPath()).resolve("manifest.json")), saved.toString());
        assertTrue(ctl.checkpoints().getCheckpointsList().stream()
            .anyMatch(k -> k.getStep() == saved.getStep()), "listed");

        // Drain the child's node: the world shrinks to 1 without losing a step.
        String childNode = ctl.status().getWorkersList().stream()
            .filter(w -> !w.getNode().equals(ctl.status().getCoordinatorNode()))
            .findFirst().orElseThrow().getNode();
        assertCode("FAILED_PRECONDITION", () -> ctl.drain(ctl.status().getCoordinatorNode()));
        ctl.drain(childNode);
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the drained node leaves");
        waitFor(() -> ctl.status().getWorkersCount() == 1 && "training".equals(ctl.status().getState()),
            "world of 1");
        long drainStep = new ObjectMapper().readTree(save.resolve("world.json").toFile())
            .get("start_step").asLong();
        waitFor(() -> lines(save) > drainStep + 2, "training goes on after the drain");

        // Stop: a final checkpoint, then a clean exit.
        var last = ctl.stop();
        assertTrue(Files.exists(Path.of(last.getPath()).resolve("manifest.json")), last.toString());
        first.system().getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
        assertEquals(0, first.exitCode().getNow(-1), "clean exit");
        List<Long> steps = Files.readAllLines(save.resolve("metrics.jsonl")).stream()
            .map(l -> { try { return new ObjectMapper().readTree(l).get("step").asLong(); }
              catch (Exception e) { throw new IllegalStateException(e); } }).toList();
        for (int i = 0; i < steps.size(); i++) {
          assertEquals(i + 1, steps.get(i), "every step once, none lost across pause and drain");
        }
        assertTrue(steps.size() >= last.getStep(), "metrics up to the final checkpoint");
      }
    } finally {
      child.destroyForcibly();
      first.system().terminate();
    }
  }

  private static void assertCode(String code, Runnable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
    assertEquals(code, e.getStatus().getCode().name(), e.getStatus().toString());
  }

  private static long lines(Path save) {
    try {
      Path m = save.resolve("metrics.jsonl");
      return Files.exists(m) ? Files.readAllLines(m).size() : 0;
    } catch (Exception e) {
      return 0;
    }
  }

  private static void waitFor(Supplier<Boolean> condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      try {
        if (condition.get()) {
          return;
        }
      } catch (RuntimeException e) {
        // not yet (e.g. the service is not up)
      }
      Thread.sleep(100);
    }
    throw new AssertionError("timed out waiting: " + what);
  }
}
