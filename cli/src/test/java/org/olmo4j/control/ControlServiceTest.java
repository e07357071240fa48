package org.olmo4j.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.olmo4j.cli.ClusterNode;
import org.olmo4j.node.FileEvents;
import org.olmo4j.node.ClusterRuns;
import org.olmo4j.proto.control.RunEvent;
import org.olmo4j.proto.control.Status;

/**
 * Every control call against a real run of two nodes (this JVM and a child) on 127.0.0.1, under
 * each sharding strategy: SHARD_GRAD_OP in fp32; FULL_SHARD and HYBRID_SHARD in amp_bf16 (bf16
 * gathers across the JVMs). HYBRID_SHARD runs two workers per node, so its world goes from one
 * replica of 2 to two replicas of 2 when the child joins, and back to one when it is drained.
 */
class ControlServiceTest {

  private static final Duration WAIT = Duration.ofSeconds(120);
  /** Status round trips while paused, each of which would show a step taken meanwhile. */
  private static final int PAUSED_POLLS = 20;

  @TempDir Path tmp;

  @ParameterizedTest(name = "{0} {1}, {2} per node")
  @CsvSource({"SHARD_GRAD_OP, fp32, 1", "FULL_SHARD, amp_bf16, 1", "HYBRID_SHARD, amp_bf16, 2"})
  void everyCallSteersARealRunAndRefusalsChangeNothing(String strategy, String precision,
      int perNode) throws Exception {
    Path data = ClusterRuns.writeTokens(tmp);
    Path save = tmp.resolve("run");
    Path tokenFile = tmp.resolve("token");
    Files.writeString(tokenFile, "s3cret-token\n");
    // min_workers 1: the world forms with this node's worker, the child's joins at a checkpoint.
    String yaml = ClusterRuns.yaml(data, save, perNode, 1, 100_000, 20,
        "control: {port: 0, token_file: " + tokenFile + "}",
        "fsdp: {sharding_strategy: " + strategy + "}", "precision: " + precision);
    Path cfgFile = tmp.resolve("run.yaml");
    Files.writeString(cfgFile, yaml);
    ClusterNode.Handle first = ClusterNode.start(ClusterRuns.config(yaml), "127.0.0.1", 0, List.of());
    int port = Cluster.get(first.system()).selfMember().address().getPort().get();
    Process child = ClusterRuns.startNodeJvm(cfgFile, port, tmp.resolve("child.log"));
    try {
      FileEvents.await(save, WAIT, "control.json written", () -> Files.exists(save.resolve("control.json")));
      int controlPort = ControlEndpoint.of(save).port();
      try (ControlConnection ctl = new ControlConnection("127.0.0.1", controlPort, "s3cret-token", false);
          ControlConnection anonymous = new ControlConnection("127.0.0.1", controlPort, null, false);
          ControlConnection wrong = new ControlConnection("127.0.0.1", controlPort, "guess", false)) {
        FileEvents.await(save, WAIT, "training in a world of both nodes",
            () -> worldSize(save) == 2 * perNode);
        Status s = ctl.status();
        assertEquals("training", s.getState());
        assertEquals(2 * perNode, s.getWorkersList().stream().filter(w -> w.getRank() >= 0).count());

        // Unauthenticated: refused, and nothing changes.
        assertCode("UNAUTHENTICATED", () -> anonymous.status());
        assertCode("UNAUTHENTICATED", () -> wrong.pause());
        assertEquals("training", ctl.status().getState(), "a refused pause changed nothing");
        // Wrong state and oversized requests.
        assertCode("FAILED_PRECONDITION", ctl::resume);
        assertCode("RESOURCE_EXHAUSTED", () -> ctl.drain("x".repeat(100_000)));
        assertCode("FAILED_PRECONDITION", () -> ctl.drain("pekko://olmo4j@127.0.0.1:1"));

        // Watch: step metrics stream in (notices such as checkpoint_committed interleave).
        List<RunEvent> events = ctl.watch().filter(RunEvent::hasStep).take(3)
            .runWith(Sink.seq(), ctl.system()).toCompletableFuture().get(60, TimeUnit.SECONDS);
        assertEquals(3, events.size(), events.toString());
        assertTrue(events.get(0).getStep().getStep() < events.get(2).getStep().getStep(),
            "steps advance: " + events);

        // Pause: no step progresses until resume. The live feed, watched from the pause on, shows
        // the resume first and then the step after the paused one.
        ctl.pause();
        Status paused = ctl.status();
        assertEquals("paused", paused.getState());
        long pausedLines = lines(save);
        CompletableFuture<List<RunEvent>> afterPause = ctl.watch()
            .filter(e -> e.hasStep() || e.getNotice().getKind().equals("resumed")).take(2)
            .runWith(Sink.seq(), ctl.system()).toCompletableFuture();
        for (int i = 0; i < PAUSED_POLLS; i++) {
          assertEquals(paused.getStep(), ctl.status().getStep(), "no step while paused");
        }
        assertCode("FAILED_PRECONDITION", ctl::pause);
        assertCode("FAILED_PRECONDITION", ctl::save);
        assertEquals(pausedLines, lines(save), "no step while paused");
        assertFalse(afterPause.isDone(), "no step while paused: " + afterPause.getNow(null));
        ctl.resume();
        List<RunEvent> seen = afterPause.get(60, TimeUnit.SECONDS);
        assertEquals("resumed", seen.get(0).getNotice().getKind(), "no step before the resume: " + seen);
        assertEquals(paused.getStep() + 1, seen.get(1).getStep().getStep(), "the step after the pause");
        FileEvents.await(save, WAIT, "steps after resume", () -> lines(save) > pausedLines + 3);

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
        FileEvents.await(save, WAIT, "a world of this node's workers",
            () -> worldSize(save) == perNode);
        assertEquals(perNode, ctl.status().getWorkersCount(), "the drained node's workers are gone");
        String timeline = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
            .send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + controlPort + "/api/events"))
                .header("Authorization", "Bearer s3cret-token").build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(timeline.contains("\"kind\":\"node_drain\"")
            && timeline.contains("node " + childNode + " drained by the operator"),
            "the status page's timeline has the drain: " + timeline);
        assertEquals("training", ctl.status().getState());
        long drainStep = new ObjectMapper().readTree(save.resolve("world.json").toFile())
            .get("start_step").asLong();
        FileEvents.await(save, WAIT, "training going on after the drain", () -> lines(save) > drainStep + 2);

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

  private static int worldSize(Path save) throws Exception {
    return new ObjectMapper().readTree(save.resolve("world.json").toFile()).get("world_size").asInt();
  }
}
