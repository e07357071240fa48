package org.olmo4j.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends one JSON object per step to {@code SAVE_FOLDER/metrics.jsonl}.
 *
 * <p>On resume the lines of steps after the restored step are dropped first, so the file always
 * describes one consistent history.
 */
public final class MetricsLog implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Logger LOG = LoggerFactory.getLogger(MetricsLog.class);
  private final Path file;
  private final BufferedWriter out;
  /** A write failed and has not succeeded since: the failure was logged once. */
  private boolean failing;

  private MetricsLog(Path file, BufferedWriter out) {
    this.file = file;
    this.out = out;
  }

  /** Opens {@code file} for appending, keeping only the lines with {@code step ≤ keepUpToStep}. */
  public static MetricsLog open(Path file, long keepUpToStep) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      if (Files.exists(file)) {
        truncateAfter(file, keepUpToStep);
      }
      return new MetricsLog(file, Files.newBufferedWriter(file, StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open metrics file " + file, e);
    }
  }

  private static void truncateAfter(Path file, long keepUpToStep) throws IOException {
    StringBuilder kept = new StringBuilder();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (line.isBlank()) {
        continue;
      }
      try {
        if (JSON.readTree(line).path("step").asLong(Long.MAX_VALUE) <= keepUpToStep) {
          kept.append(line).append('\n');
        }
      } catch (IOException e) {
        // A torn last line from a killed run: drop it.
      }
    }
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, kept, StandardCharsets.UTF_8);
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /** Writes one step. */
  public void write(StepMetrics m) {
    ObjectNode o = JSON.createObjectNode();
    o.put("step", m.step());
    o.put("loss", m.loss());
    o.put("z_loss", m.zLoss());
    o.put("perplexity", Math.exp(m.loss()));
    o.put("lr", m.lr());
    o.put("grad_norm", m.gradNorm());
    o.put("clip_coefficient", m.clipCoefficient());
    o.put("tokens", m.tokens());
    o.put("tokens_per_s", m.tokensPerS());
    o.put("mfu", m.mfu());
    o.put("step_s", m.stepSeconds());
    o.put("compute_s", m.computeSeconds());
    o.put("exchange_s", m.exchangeSeconds());
    o.put("optimizer_s", m.optimizerSeconds());
    o.put("collective_s", m.collectiveSeconds());
    o.put("slowest_rank_exchange_s", m.slowestRankExchangeSeconds());
    o.put("slowest_rank_collective_s", m.slowestRankCollectiveSeconds());
    o.put("rss_bytes", m.rssBytes());
    o.put("masked_instances", m.maskedInstances());
    o.put("time", System.currentTimeMillis() / 1000.0);
    writeLine(o);
  }

  /**
   * Writes the metrics of one eval round as their own line: {@code step} and OLMo's names
   * ({@code eval/…}), plus {@code extra} figures such as {@code eval_tokens_per_s}.
   */
  public void writeEval(long step, java.util.Map<String, Double> metrics,
      java.util.Map<String, Double> extra) {
    ObjectNode o = JSON.createObjectNode();
    o.put("step", step);
    metrics.forEach(o::put);
    extra.forEach(o::put);
    o.put("time", System.currentTimeMillis() / 1000.0);
    writeLine(o);
  }

  private void writeLine(ObjectNode o) {
    try {
      out.write(JSON.writeValueAsString(o));
      out.write('\n');
      out.flush();
      if (failing) {
        LOG.info("writing {} works again", file);
        failing = false;
      }
    } catch (IOException e) {
      // A full disk must not stop training: the lines wait in the buffer and are retried with
      // the next one (a torn line is dropped on resume).
      if (!failing) {
        LOG.warn("cannot write {}: {}; training goes on, the lines are retried", file, e.toString());
        failing = true;
      }
    }
  }

  @Override
  public void close() {
    try {
      out.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
