package org.olmo4j.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.cli.ClusterNode;
import org.olmo4j.node.ClusterRuns;
import org.olmo4j.node.FileEvents;

/**
 * The coordinator's Prometheus endpoint and status page (charts, workers table, eval metrics,
 * checkpoints, event timeline) during a real run that a second node joins and then loses; the
 * page in Chromium.
 */
class DashboardTest {

  private static final Duration WAIT = Duration.ofSeconds(180);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  @Test
  void prometheusTextAndAStatusPageWhoseChartsRenderInHeadlessChromium() throws Exception {
    Path data = ClusterRuns.writeTokens(tmp);
    Path save = tmp.resolve("run");
    Path tokenFile = tmp.resolve("token");
    Files.writeString(tokenFile, "page-token\n");
    String yaml = ClusterRuns.yaml(data, save, 1, 1, 100_000, 5,
        "control: {port: 0, token_file: " + tokenFile + "}",
        "eval_interval: 5",
        "evaluators:",
        "- {label: lm, type: lm, device_eval_batch_size: 4, subset_num_batches: 2,",
        "   data: {datasets: {held: [" + data + "]}}}");
    Path cfgFile = tmp.resolve("run.yaml");
    Files.writeString(cfgFile, yaml);
    ClusterNode.Handle node = ClusterNode.start(ClusterRuns.config(yaml), "127.0.0.1", 0, List.of());
    Process second = null;
    try {
      FileEvents.await(save, WAIT, "the first steps",
          () -> Files.readAllLines(save.resolve("metrics.jsonl")).size() >= 3);
      String base = "http://" + ControlEndpoint.of(save);
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

      // A second node joins (the world re-forms at the next checkpoint), then dies (it re-forms
      // without it): the timeline gets joins, a removal with its cause and two recoveries.
      int port = Cluster.get(node.system()).selfMember().address().getPort().get();
      second = ClusterRuns.startNodeJvm(cfgFile, port, tmp.resolve("second.log"));
      FileEvents.await(save, WAIT, "a world of two and its recovery",
          () -> count(events(http, base), "recovered") >= 1
              && count(events(http, base), "node_joined") >= 2);
      second.destroyForcibly();
      FileEvents.await(save, WAIT, "the recovery from the lost node",
          () -> count(events(http, base), "recovered") >= 2
              && count(events(http, base), "worker_lost") >= 1);
      FileEvents.await(save, WAIT, "20 steps and two eval rounds", () -> {
        List<String> lines = Files.readAllLines(save.resolve("metrics.jsonl"));
        return lines.stream().filter(l -> l.contains("\"loss\"")).count() >= 20
            && lines.stream().filter(l -> l.contains("\"eval/")).count() >= 2;
      });
      List<JsonNode> timeline = events(http, base);
      for (String kind : List.of("node_joined", "world_formed", "checkpoint_committed", "eval",
          "world_reformed", "recovered", "worker_lost")) {
        assertTrue(count(timeline, kind) >= 1, kind + " in " + timeline);
      }
      assertTrue(count(timeline, "world_formed") >= 3, "formed, re-formed for the joiner, "
          + "re-formed without it: " + timeline);
      for (JsonNode e : timeline) {
        if (e.get("kind").asText().equals("recovered")) {
          assertTrue(e.get("values").get("recovery_seconds").asDouble() > 0, e.toString());
        }
      }
      assertTrue(timeline.stream().anyMatch(e -> e.get("kind").asText().equals("worker_lost")
          && e.get("message").asText().matches("node pekko://olmo4j@127\\.0\\.0\\.1:(?!" + port
          + "\\b)\\d+ (is unreachable|left the cluster)")), "the lost node and why: " + timeline);
      List<JsonNode> ckpts = get(http, base, "/api/checkpoints");
      assertTrue(ckpts.stream().anyMatch(c -> c.get("state").asText().equals("committed")
          && c.get("size_bytes").asLong() > 0 && c.get("write_s").isNumber()
          && c.get("stall_s").isNumber() && c.get("time").isNumber()), ckpts.toString());
      assertTrue(ckpts.stream().anyMatch(c -> c.get("latest").asBoolean()), ckpts.toString());
      assertTrue(get(http, base, "/api/eval").size() >= 2, "eval rounds");
      assertEquals(400, http.send(HttpRequest.newBuilder(URI.create(base + "/api/events?after=x"))
          .header("Authorization", "Bearer page-token").build(),
          HttpResponse.BodyHandlers.ofString()).statusCode(), "a malformed after");

      HttpResponse<String> refused = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(401, refused.statusCode(), "no token, no metrics");
      HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
          .header("Authorization", "Bearer page-token").build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, metrics.statusCode());
      String text = metrics.body();
      for (String gauge : List.of("olmo4j_loss", "olmo4j_tokens_per_second", "olmo4j_mfu",
          "olmo4j_world_size", "olmo4j_generation", "olmo4j_step_seconds{part=\"compute\"}",
          "olmo4j_step_seconds{part=\"exchange\"}", "olmo4j_checkpoint_write_seconds",
          "olmo4j_recovery_seconds", "olmo4j_straggler_rank", "olmo4j_straggler_ratio")) {
        assertTrue(Pattern.compile("^" + Pattern.quote(gauge) + " \\S+$", Pattern.MULTILINE)
            .matcher(text).find(), gauge + " in\n" + text);
      }
      assertTrue(text.contains("# TYPE olmo4j_loss gauge"), text);
      assertTrue(text.matches("(?s).*\\nolmo4j_world_size 1\\n.*"), text);
      double loss = Double.parseDouble(value(text, "olmo4j_loss"));
      assertTrue(loss > 0 && loss < 10, "loss " + loss);
      // One rank: its times, and no slowest rank to name.
      for (String perRank : List.of("olmo4j_rank_step_seconds", "olmo4j_rank_compute_seconds",
          "olmo4j_rank_wait_seconds")) {
        Matcher m = Pattern.compile("^" + perRank
            + "\\{rank=\"0\",node=\"pekko://olmo4j@127\\.0\\.0\\.1:\\d+\"} (\\S+)$", Pattern.MULTILINE)
            .matcher(text);
        assertTrue(m.find(), perRank + " of rank 0 in\n" + text);
        assertTrue(Double.parseDouble(m.group(1)) >= 0, perRank + " " + m.group(1));
      }
      assertEquals("-1", value(text, "olmo4j_straggler_rank"));
      assertEquals("NaN", value(text, "olmo4j_straggler_ratio"));

      Path chromium = chromium();
      assumeTrue(chromium != null, "Chromium is not installed (.ci/run installs Debian's chromium)");
      Path shot = Path.of("target", "status-page.png").toAbsolutePath();
      Process p = new ProcessBuilder(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
          "--virtual-time-budget=6000", "--window-size=1280,1000", "--dump-dom",
          base + "/?token=page-token").redirectErrorStream(false).start();
      String dom = new String(p.getInputStream().readAllBytes());
      assertTrue(p.waitFor(90, TimeUnit.SECONDS), "chromium finished");
      for (String chart : List.of("loss", "tokens_per_s", "lr")) {
        Matcher m = Pattern.compile("id=\"" + chart + "\"[^>]*data-points=\"(\\d+)\"").matcher(dom);
        assertTrue(m.find(), "chart " + chart + " drawn: " + dom);
        assertTrue(Integer.parseInt(m.group(1)) >= 20, chart + " has the run's steps: " + m.group(1));
      }
      assertTrue(dom.contains("world of 1"), "the summary line is filled in");
      // The workers table: rank, node, state, step, compute and wait of the one rank.
      Matcher row = Pattern.compile("<tr data-rank=\"0\"[^>]*><td>0</td><td>pekko://olmo4j@127\\.0\\.0\\.1:"
          + "\\d+ #0</td><td>training</td><td class=\"num\">(\\d+\\.\\d{3})</td><td class=\"num\">"
          + "(\\d+\\.\\d{3})</td><td class=\"num\">(\\d+\\.\\d{3})</td></tr>").matcher(dom);
      assertTrue(row.find(), "the workers table has rank 0 with its times: " + dom);
      assertTrue(Double.parseDouble(row.group(1)) > 0, "step time " + row.group(1));
      assertTrue(dom.contains("(fewer than two ranks)"), "no slowest rank of one: " + dom);
      // Eval: a chart per metric with the rounds so far.
      Matcher eval = Pattern.compile("<canvas[^>]*data-metric=\"eval/lm/CrossEntropyLoss\"[^>]*data-points=\"(\\d+)\"")
          .matcher(dom);
      assertTrue(eval.find(), "the eval/lm/CrossEntropyLoss chart: " + dom);
      assertTrue(Integer.parseInt(eval.group(1)) >= 2, "eval rounds drawn: " + eval.group(1));
      assertTrue(dom.contains("data-metric=\"eval/lm/held/Perplexity\""), "a chart per eval metric: " + dom);
      // Checkpoints: the newest committed one with its time, size and write/stall seconds.
      Matcher ckpt = Pattern.compile("<tr data-step=\"(\\d+)\" data-state=\"committed\" "
          + "class=\"committed\"><td>\\d+</td><td>\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d</td>"
          + "<td>committed( \\(latest\\))?</td><td class=\"num\">[\\d.]+ (KiB|MiB)</td>"
          + "<td class=\"num\">\\d+\\.\\d{3}</td><td class=\"num\">\\d+\\.\\d{3}</td>"
          + "<td>[^<]*/step\\1</td></tr>").matcher(dom);
      assertTrue(ckpt.find(), "the newest checkpoint with size and times: " + dom);
      // The timeline: joins, removal with its cause, re-formings with their recovery time.
      for (String kind : List.of("node_joined", "world_formed", "checkpoint_committed", "eval",
          "world_reformed", "worker_lost")) {
        assertTrue(dom.contains("<tr data-kind=\"" + kind + "\""), "a " + kind + " event: " + dom);
      }
      assertTrue(dom.contains("<table id=\"events\" class=\"quiet\">")
          && dom.contains("<tr data-kind=\"eval\" class=\"routine\">"),
          "eval rounds and commits are in the timeline, hidden until asked for: " + dom);
      assertTrue(Pattern.compile("<tr data-kind=\"recovered\">(?:(?!</tr>).)*?<td class=\"what\">[^<]*"
          + "\\(recovery \\d+\\.\\d s\\)</td></tr>").matcher(dom).find(), "a recovery's time: " + dom);
      assertTrue(Pattern.compile("<tr data-kind=\"worker_lost\">(?:(?!</tr>).)*?<td class=\"what\">node "
          + "pekko://olmo4j@127\\.0\\.0\\.1:\\d+ (is unreachable|left the cluster)</td>").matcher(dom).find(),
          "the removal's cause: " + dom);
      new ProcessBuilder(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
          "--virtual-time-budget=6000", "--window-size=1280,2400", "--screenshot=" + shot,
          base + "/?token=page-token").redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(90, TimeUnit.SECONDS);
    } finally {
      if (second != null) {
        second.destroyForcibly();
      }
      node.system().terminate();
      node.system().getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  /** The coordinator's kept events (GET /api/events). */
  private static List<JsonNode> events(HttpClient http, String base) throws Exception {
    return get(http, base, "/api/events");
  }

  private static List<JsonNode> get(HttpClient http, String base, String path) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path))
        .header("Authorization", "Bearer page-token").build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), path + ": " + r.body());
    List<JsonNode> out = new ArrayList<>();
    JSON.readTree(r.body()).forEach(out::add);
    return out;
  }

  private static long count(List<JsonNode> events, String kind) {
    return events.stream().filter(e -> e.get("kind").asText().equals(kind)).count();
  }

  private static String value(String text, String gauge) {
    Matcher m = Pattern.compile("^" + gauge + " (\\S+)$", Pattern.MULTILINE).matcher(text);
    assertTrue(m.find(), gauge);
    return m.group(1);
  }

  private static Path chromium() {
    for (String c : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")) {
      if (Files.isExecutable(Path.of(c))) {
        return Path.of(c);
      }
    }
    return null;
  }
}
