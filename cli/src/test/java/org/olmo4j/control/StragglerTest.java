package org.olmo4j.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.config.ConfigLoader;
import org.olmo4j.cli.ClusterNode;
import org.olmo4j.node.ClusterRuns;
import org.olmo4j.node.FileEvents;
import org.olmo4j.proto.control.RunEvent;
import org.olmo4j.proto.control.Status;
import org.olmo4j.proto.control.WorkerStatus;

/**
 * A straggler on two nodes (this JVM and a child) on 127.0.0.1: the child's rank is made slower
 * by a test-only delay; GetStatus, /metrics and the status page name it with its ratio to the
 * other rank, and with cluster.straggler.drain_ratio its node is drained and the run goes on
 * without it.
 */
class StragglerTest {

  private static final Duration WAIT = Duration.ofSeconds(120);
  /** The child's extra work per step (StepDelay); a tiny step computes in tens of ms. */
  private static final long DELAY_MS = 300;
  private static final double DRAIN_RATIO = 2;
  private static final int DRAIN_STEPS = 10;

  @TempDir Path tmp;

  @Test
  void theSlowRankIsNamedWithItsRatioAndItsNodeIsDrained() throws Exception {
    Path data = ClusterRuns.writeTokens(tmp);
    Path save = tmp.resolve("run");
    Path tokenFile = tmp.resolve("token");
    Files.writeString(tokenFile, "straggler-token\n");
    // min_workers 1: the world forms with this node's worker, the child's joins at a checkpoint,
    // and draining the child leaves a world that can go on.
    String yaml = ClusterRuns.yaml(data, save, 1, 1, 100_000, 20,
        "control: {port: 0, token_file: " + tokenFile + "}");
    Path cfgFile = tmp.resolve("run.yaml");
    Files.writeString(cfgFile, yaml);
    List<String> policy = List.of("--cluster.straggler.drain_ratio=" + DRAIN_RATIO,
        "--cluster.straggler.steps=" + DRAIN_STEPS);
    ClusterNode.Handle first = ClusterNode.start(ConfigLoader.fromYaml(yaml, policy), "127.0.0.1", 0,
        List.of());
    int port = Cluster.get(first.system()).selfMember().address().getPort().get();
    List<String> args = new ArrayList<>(List.of("node", cfgFile.toString(),
        "--seed-nodes=127.0.0.1:" + port, "--port=0"));
    args.addAll(policy);
    Path childLog = tmp.resolve("slow-node.log");
    Process child = ClusterRuns.startCliJvm(childLog, args, Map.of(),
        List.of("-Dolmo4j.test.step_delay_ms=" + DELAY_MS));
    try {
      FileEvents.await(save, WAIT, "control.json written", () -> Files.exists(save.resolve("control.json")));
      try (ControlConnection ctl = new ControlConnection("127.0.0.1", ControlEndpoint.of(save).port(),
          "straggler-token", false)) {
        CompletableFuture<RunEvent> drained = ctl.watch()
            .filter(e -> e.getNotice().getKind().equals("straggler_drain"))
            .runWith(Sink.head(), ctl.system()).toCompletableFuture();

        // GetStatus, /metrics and the status page's data name the child's rank, over the median of
        // the other rank's compute.
        AtomicReference<Status> named = new AtomicReference<>();
        AtomicReference<String> metrics = new AtomicReference<>();
        FileEvents.await(save, WAIT, "the slow rank named in a world of 2", () -> {
          Status s = ctl.status();
          WorkerStatus slow = childRank(s);
          if (slow == null || s.getWindowSteps() < 3 || s.getSlowestRank() != slow.getRank()
              || !(s.getSlowestRatio() > DRAIN_RATIO)) {
            return false;
          }
          String text = get(save, "/metrics");
          JsonNode page = new ObjectMapper().readTree(get(save, "/api/workers")).get("slowest");
          boolean holds = value(text, "olmo4j_straggler_rank") == slow.getRank()
              && value(text, "olmo4j_straggler_ratio") > DRAIN_RATIO
              && page.get("rank").asInt() == slow.getRank() && page.get("ratio").asDouble() > DRAIN_RATIO;
          if (holds) {
            named.set(s);
            metrics.set(text);
          }
          return holds;
        }, child.onExit());
        Status s = named.get();
        assertTrue(s != null && metrics.get() != null, "the slow rank was named before its node "
            + "was drained; child log:\n" + Files.readString(childLog));
        WorkerStatus slow = childRank(s);
        WorkerStatus fast = s.getWorkersList().stream()
            .filter(w -> w.getRank() >= 0 && w.getRank() != slow.getRank()).findFirst().orElseThrow();
        System.out.printf("straggler: rank %d step %.3f s compute %.3f s wait %.3f s; rank %d step "
            + "%.3f s compute %.3f s wait %.3f s; ratio %.2f over %d steps%n", slow.getRank(),
            slow.getStepSeconds(), slow.getComputeSeconds(), slow.getWaitSeconds(), fast.getRank(),
            fast.getStepSeconds(), fast.getComputeSeconds(), fast.getWaitSeconds(),
            s.getSlowestRatio(), s.getWindowSteps());
        assertEquals(slow.getNode(), s.getSlowestNode());
        assertTrue(slow.getComputeSeconds() >= DELAY_MS / 1000.0, "the delay is the slow rank's compute: " + s);
        assertTrue(fast.getWaitSeconds() > slow.getWaitSeconds(), "the fast rank waits for it: " + s);
        assertEquals(slow.getComputeSeconds() / fast.getComputeSeconds(), s.getSlowestRatio(), 1e-9,
            "with two ranks the median of the others is the other rank");

        String text = metrics.get();
        assertTrue(Pattern.compile("^olmo4j_rank_compute_seconds\\{rank=\"" + slow.getRank()
            + "\",node=\"" + Pattern.quote(slow.getNode()) + "\"} \\S+$", Pattern.MULTILINE)
            .matcher(text).find(), text);
        assertTrue(Pattern.compile("^olmo4j_rank_wait_seconds\\{rank=\"" + fast.getRank() + "\",",
            Pattern.MULTILINE).matcher(text).find(), text);

        // The policy drains the slow node: one notice naming rank, node and ratio; the node exits.
        RunEvent notice = drained.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        String message = notice.getNotice().getMessage();
        assertTrue(message.startsWith("rank " + slow.getRank() + " on " + slow.getNode() + " computed "),
            message);
        assertTrue(message.endsWith("x the median of the other ranks for " + DRAIN_STEPS
            + " consecutive steps"), message);
        assertTrue(child.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), "the drained node leaves");
        assertEquals(0, child.exitValue(), "a drained node exits cleanly");
        FileEvents.await(save, WAIT, "a world of 1 training", () -> {
          Status now = ctl.status();
          return now.getWorkersCount() == 1 && now.getState().equals("training")
              && now.getWorkers(0).getStepSeconds() > 0;
        });
        assertTrue(Files.readString(childLog).contains("drained as a straggler"),
            Files.readString(childLog));
      }
    } finally {
      child.destroyForcibly();
      first.system().terminate();
      first.system().getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  /** The child node's worker when it holds a rank. */
  private static WorkerStatus childRank(Status s) {
    return s.getWorkersList().stream()
        .filter(w -> w.getRank() >= 0 && !w.getNode().equals(s.getCoordinatorNode()))
        .findFirst().orElse(null);
  }

  private static String get(Path save, String path) throws Exception {
    HttpResponse<String> r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
        .send(HttpRequest.newBuilder(URI.create("http://" + ControlEndpoint.of(save) + path))
            .header("Authorization", "Bearer straggler-token").build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return r.body();
  }

  private static double value(String metrics, String gauge) {
    Matcher m = Pattern.compile("^" + gauge + " (\\S+)$", Pattern.MULTILINE).matcher(metrics);
    assertTrue(m.find(), gauge + " in\n" + metrics);
    return Double.parseDouble(m.group(1));
  }
}
