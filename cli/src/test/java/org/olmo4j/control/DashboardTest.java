package org.olmo4j.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.cli.ClusterNode;
import org.olmo4j.node.ClusterRuns;
import org.olmo4j.node.FileEvents;

/**
 * The coordinator's Prometheus endpoint and status page (charts, workers table) during a real
 * run; the page in Chromium.
 */
class DashboardTest {

  @TempDir Path tmp;

  @Test
  void prometheusTextAndAStatusPageWhoseChartsRenderInHeadlessChromium() throws Exception {
    Path data = ClusterRuns.writeTokens(tmp);
    Path save = tmp.resolve("run");
    Path tokenFile = tmp.resolve("token");
    Files.writeString(tokenFile, "page-token\n");
    String yaml = ClusterRuns.yaml(data, save, 1, 1, 100_000, 1000,
        "control: {port: 0, token_file: " + tokenFile + "}");
    ClusterNode.Handle node = ClusterNode.start(ClusterRuns.config(yaml), "127.0.0.1", 0, List.of());
    try {
      FileEvents.await(save, Duration.ofSeconds(120), "20 steps",
          () -> Files.readAllLines(save.resolve("metrics.jsonl")).size() >= 20);
      String base = "http://" + ControlEndpoint.of(save);
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

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
      new ProcessBuilder(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
          "--virtual-time-budget=6000", "--window-size=1280,1000", "--screenshot=" + shot,
          base + "/?token=page-token").redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(90, TimeUnit.SECONDS);
    } finally {
      node.system().terminate();
      node.system().getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
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
