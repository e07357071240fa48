package org.olmo4j.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.olmo4j.coordinator.Coordinator;
import org.olmo4j.coordinator.RunStatus;

/**
 * The coordinator's HTTP pages beside the gRPC service, on the same port: {@code /metrics}
 * (Prometheus text format), {@code /} (a status page with live loss and throughput charts and a
 * workers table), {@code /api/metrics} (the charts' data: metrics.jsonl after a step) and
 * {@code /api/workers} (the table's: each rank's times and the slowest rank). Each needs the
 * run's token, as {@code Authorization: Bearer …} or {@code ?token=…}.
 */
final class Dashboard {

  private static final int MAX_POINTS = 5000;
  private final ActorRef<Coordinator.Command> coordinator;
  private final ActorSystem<?> system;
  private final byte[] token;
  private final Path metricsFile;
  private final ObjectMapper json = new ObjectMapper();

  Dashboard(ActorRef<Coordinator.Command> coordinator, ActorSystem<?> system, String token,
      Path saveFolder) {
    this.coordinator = coordinator;
    this.system = system;
    this.token = token.getBytes(StandardCharsets.UTF_8);
    this.metricsFile = saveFolder.resolve("metrics.jsonl");
  }

  CompletionStage<HttpResponse> handle(HttpRequest req) {
    if (!authorized(req)) {
      return done(HttpResponse.create().withStatus(StatusCodes.UNAUTHORIZED)
          .withEntity("a token is required: Authorization: Bearer TOKEN, or ?token=TOKEN\n"));
    }
    String path = req.getUri().path();
    return switch (path) {
      case "/metrics" -> status().thenApply(s -> HttpResponse.create().withEntity(
          ContentTypes.TEXT_PLAIN_UTF8, PrometheusText.of(s)));
      case "/api/workers" -> status().thenApply(s -> HttpResponse.create().withEntity(
          ContentTypes.APPLICATION_JSON, workers(s)));
      case "/" -> done(HttpResponse.create().withEntity(ContentTypes.TEXT_HTML_UTF8, page()));
      case "/api/metrics" -> done(HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON,
          series(req.getUri().query().get("after").map(Long::parseLong).orElse(0L))));
      default -> done(HttpResponse.create().withStatus(StatusCodes.NOT_FOUND)
          .withEntity("no page " + path + " (try /, /metrics, /api/workers)\n"));
    };
  }

  private CompletionStage<RunStatus> status() {
    return AskPattern.ask(coordinator, Coordinator.GetStatus::new, Duration.ofSeconds(10),
        system.scheduler());
  }

  /** The workers table: rank, node, state and median times of each worker; the slowest rank. */
  private String workers(RunStatus s) {
    ObjectNode out = json.createObjectNode();
    ArrayNode rows = out.putArray("workers");
    for (RunStatus.Worker w : s.workers()) {
      rows.addObject().put("rank", w.rank()).put("node", w.node())
          .put("local_index", w.localIndex()).put("state", w.state())
          .put("step_s", finite(w.stepSeconds()))
          .put("compute_s", finite(w.computeSeconds())).put("wait_s", finite(w.waitSeconds()));
    }
    out.putObject("slowest").put("rank", s.slowest().rank()).put("node", s.slowest().node())
        .put("ratio", finite(s.slowest().ratio())).put("steps", s.slowest().steps());
    return out.toString();
  }

  /** JSON has no NaN: null for "none yet". */
  private static Double finite(double v) {
    return Double.isFinite(v) ? v : null;
  }

  private boolean authorized(HttpRequest req) {
    String given = req.getHeader("Authorization").map(h -> h.value().replaceFirst("^Bearer ", ""))
        .orElseGet(() -> req.getUri().query().get("token").orElse(""));
    return MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), token);
  }

  /** The steps after {@code after}: step, loss, lr, tokens/s (at most the last MAX_POINTS). */
  private String series(long after) {
    ArrayNode out = json.createArrayNode();
    try {
      List<String> lines = Files.exists(metricsFile) ? Files.readAllLines(metricsFile) : List.of();
      for (String line : lines.subList(Math.max(0, lines.size() - MAX_POINTS), lines.size())) {
        JsonNode n = json.readTree(line);
        if (n.has("loss") && n.get("step").asLong() > after) {
          out.addObject().put("step", n.get("step").asLong()).put("loss", n.get("loss").asDouble())
              .put("lr", n.get("lr").asDouble()).put("tokens_per_s", n.get("tokens_per_s").asDouble());
        }
      }
    } catch (IOException | RuntimeException e) {
      // A line being written right now: the page asks again in a moment.
    }
    return out.toString();
  }

  private static String page() {
    try (InputStream in = Dashboard.class.getResourceAsStream("status.html")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static CompletionStage<HttpResponse> done(HttpResponse r) {
    return CompletableFuture.completedFuture(r);
  }

  static String number(double v) {
    if (!Double.isFinite(v)) {
      return "NaN";
    }
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v)
        : String.format(Locale.ROOT, "%.6g", v);
  }
}
