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
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
import org.olmo4j.coordinator.RunEvents;
import org.olmo4j.coordinator.RunStatus;

/**
 * The coordinator's HTTP pages beside the gRPC service, on the same port: {@code /metrics}
 * (Prometheus text format), {@code /} (a status page: live loss and throughput charts, a workers
 * table, eval metrics over steps, checkpoints and an event timeline), and the page's data:
 * {@code /api/metrics} (metrics.jsonl's steps after a step), {@code /api/workers} (each rank's
 * times and the slowest rank), {@code /api/eval} (metrics.jsonl's eval rounds),
 * {@code /api/checkpoints} ({@link CheckpointList}) and {@code /api/events} (the notices
 * {@link RunEvents} keeps, after a number). Each needs the run's token, as
 * {@code Authorization: Bearer …} or {@code ?token=…}.
 */
final class Dashboard {

  private static final int MAX_POINTS = 5000;
  private final ActorRef<Coordinator.Command> coordinator;
  private final ActorSystem<?> system;
  private final byte[] token;
  private final Path metricsFile;
  private final RunEvents events;
  private final CheckpointList checkpoints;
  private final ObjectMapper json = new ObjectMapper();

  Dashboard(ActorRef<Coordinator.Command> coordinator, ActorSystem<?> system, String token,
      Path saveFolder, RunEvents events) {
    this.coordinator = coordinator;
    this.system = system;
    this.token = token.getBytes(StandardCharsets.UTF_8);
    this.metricsFile = saveFolder.resolve("metrics.jsonl");
    this.events = events;
    this.checkpoints = new CheckpointList(saveFolder);
  }

  CompletionStage<HttpResponse> handle(HttpRequest req) {
    if (!authorized(req)) {
      return done(HttpResponse.create().withStatus(StatusCodes.UNAUTHORIZED)
          .withEntity("a token is required: Authorization: Bearer TOKEN, or ?token=TOKEN\n"));
    }
    String path = req.getUri().path();
    try {
      return route(req, path);
    } catch (BadRequest e) {
      return done(HttpResponse.create().withStatus(StatusCodes.BAD_REQUEST)
          .withEntity(e.getMessage() + "\n"));
    }
  }

  private CompletionStage<HttpResponse> route(HttpRequest req, String path) {
    return switch (path) {
      case "/metrics" -> status().thenApply(s -> HttpResponse.create().withEntity(
          ContentTypes.TEXT_PLAIN_UTF8, PrometheusText.of(s)));
      case "/api/workers" -> status().thenApply(s -> HttpResponse.create().withEntity(
          ContentTypes.APPLICATION_JSON, workers(s)));
      case "/" -> done(HttpResponse.create().withEntity(ContentTypes.TEXT_HTML_UTF8, page()));
      case "/api/metrics" -> done(jsonResponse(series(after(req))));
      case "/api/eval" -> done(jsonResponse(evalRounds()));
      case "/api/checkpoints" -> done(jsonResponse(checkpoints.rows(events.history(0)).toString()));
      case "/api/events" -> done(jsonResponse(notices(after(req))));
      default -> done(HttpResponse.create().withStatus(StatusCodes.NOT_FOUND)
          .withEntity("no page " + path + " (try /, /metrics, /api/workers, /api/eval, "
              + "/api/checkpoints, /api/events)\n"));
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

  /** The kept notices numbered above {@code after}: seq, time, kind, step, message, values. */
  private String notices(long after) {
    ArrayNode out = json.createArrayNode();
    for (RunEvents.Recorded r : events.history(after)) {
      RunEvents.Notice n = r.notice();
      ObjectNode o = out.addObject().put("seq", r.seq()).put("time", r.time().toEpochMilli() / 1000.0)
          .put("kind", n.kind()).put("step", n.step()).put("message", n.message());
      ObjectNode values = o.putObject("values");
      n.values().forEach((k, v) -> values.put(k, finite(v)));
    }
    return out.toString();
  }

  /** The eval rounds of metrics.jsonl in step order: step, time and the round's eval/… metrics. */
  private String evalRounds() {
    ArrayNode out = json.createArrayNode();
    for (JsonNode n : metricsLines()) {
      if (n.has("loss")) {
        continue; // a training step
      }
      ObjectNode metrics = json.createObjectNode();
      for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> f = it.next();
        if (f.getKey().startsWith("eval/") && f.getValue().isNumber()) {
          metrics.put(f.getKey(), f.getValue().asDouble());
        }
      }
      if (!metrics.isEmpty()) {
        ObjectNode round = out.addObject().put("step", n.path("step").asLong());
        round.set("time", n.get("time"));
        round.set("metrics", metrics);
      }
    }
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
    List<JsonNode> lines = metricsLines();
    for (JsonNode n : lines.subList(Math.max(0, lines.size() - MAX_POINTS), lines.size())) {
      if (n.has("loss") && n.get("step").asLong() > after) {
        out.addObject().put("step", n.get("step").asLong()).put("loss", n.get("loss").asDouble())
            .put("lr", n.get("lr").asDouble()).put("tokens_per_s", n.get("tokens_per_s").asDouble());
      }
    }
    return out.toString();
  }

  /** metrics.jsonl's lines; a line being written right now is left for the next poll. */
  private List<JsonNode> metricsLines() {
    List<JsonNode> out = new ArrayList<>();
    try {
      for (String line : Files.exists(metricsFile) ? Files.readAllLines(metricsFile) : List.<String>of()) {
        out.add(json.readTree(line));
      }
    } catch (IOException | RuntimeException e) {
      // the torn last line (or the file being replaced on resume): what was read so far
    }
    return out;
  }

  /** {@code ?after=N} (0 when absent); a malformed one is the caller's error, answered with 400. */
  private static long after(HttpRequest req) {
    String after = req.getUri().query().get("after").orElse("0");
    try {
      return Long.parseLong(after);
    } catch (NumberFormatException e) {
      throw new BadRequest("after must be a whole number, got '" + after + "'");
    }
  }

  private static final class BadRequest extends RuntimeException {
    BadRequest(String message) {
      super(message);
    }
  }

  private static HttpResponse jsonResponse(String body) {
    return HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON, body);
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
