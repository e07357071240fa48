package org.olmo4j.control;

import java.util.function.ToDoubleFunction;
import org.olmo4j.coordinator.RunStatus;

/** The run's gauges in Prometheus' text exposition format (version 0.0.4). */
final class PrometheusText {

  private PrometheusText() {}

  static String of(RunStatus s) {
    StringBuilder b = new StringBuilder();
    gauge(b, "olmo4j_step", "last completed optimizer step", s.step());
    gauge(b, "olmo4j_max_steps", "steps of the whole run", s.maxSteps());
    gauge(b, "olmo4j_tokens", "tokens trained on so far", s.tokens());
    gauge(b, "olmo4j_loss", "training cross-entropy of the last step", s.loss());
    gauge(b, "olmo4j_tokens_per_second", "training throughput over the recent window", s.tokensPerSecond());
    gauge(b, "olmo4j_mfu", "model FLOP/s over the measured peak", s.mfu());
    gauge(b, "olmo4j_eta_seconds", "time to the end of the run at the current speed", s.etaSeconds());
    gauge(b, "olmo4j_world_size", "ranks of the current world",
        s.workers().stream().filter(w -> w.rank() >= 0).count());
    gauge(b, "olmo4j_generation", "world generation (bumped at every re-forming)", s.generation());
    gauge(b, "olmo4j_last_checkpoint_step", "step of the newest committed checkpoint", s.lastCheckpointStep());
    b.append("# HELP olmo4j_step_seconds wall time of the last step by part\n")
        .append("# TYPE olmo4j_step_seconds gauge\n");
    part(b, "total", s.stepSeconds());
    part(b, "compute", s.computeSeconds());
    part(b, "exchange", s.exchangeSeconds());
    part(b, "optimizer", s.optimizerSeconds());
    perRank(b, s, "olmo4j_rank_step_seconds", "a rank's step time", RunStatus.Worker::stepSeconds);
    perRank(b, s, "olmo4j_rank_compute_seconds", "a rank's step time less its wait (its own "
        + "work)", RunStatus.Worker::computeSeconds);
    perRank(b, s, "olmo4j_rank_wait_seconds", "a rank's time waiting for collectives (transfers and "
        + "waiting for the other ranks)", RunStatus.Worker::waitSeconds);
    gauge(b, "olmo4j_straggler_rank", "the rank with the highest compute time (-1: fewer than two "
        + "ranks)", s.slowest().rank());
    gauge(b, "olmo4j_straggler_ratio", "its compute time over the median of the other ranks'",
        s.slowest().ratio());
    gauge(b, "olmo4j_checkpoint_write_seconds", "slowest shard write of the last checkpoint", s.checkpointSeconds());
    counter(b, "olmo4j_checkpoint_failures_total", "checkpoints that could not be written or "
        + "committed (the run went on)", s.checkpointFailure().count());
    gauge(b, "olmo4j_checkpoint_failed_step", "step of the newest checkpoint that failed (-1: none)",
        s.checkpointFailure().step());
    gauge(b, "olmo4j_recovery_seconds", "last recovery, from detection to the first step after it", s.recoverySeconds());
    return b.toString();
  }

  private static void gauge(StringBuilder b, String name, String help, double value) {
    b.append("# HELP ").append(name).append(' ').append(help).append('\n')
        .append("# TYPE ").append(name).append(" gauge\n")
        .append(name).append(' ').append(Dashboard.number(value)).append('\n');
  }

  private static void counter(StringBuilder b, String name, String help, double value) {
    b.append("# HELP ").append(name).append(' ').append(help).append('\n')
        .append("# TYPE ").append(name).append(" counter\n")
        .append(name).append(' ').append(Dashboard.number(value)).append('\n');
  }

  /** One sample per rank of the world, labelled with its rank and node. */
  private static void perRank(StringBuilder b, RunStatus s, String name, String help,
      ToDoubleFunction<RunStatus.Worker> value) {
    b.append("# HELP ").append(name).append(' ').append(help)
        .append(", median over the current world's recent steps\n")
        .append("# TYPE ").append(name).append(" gauge\n");
    for (RunStatus.Worker w : s.workers()) {
      if (w.rank() >= 0) {
        b.append(name).append("{rank=\"").append(w.rank()).append("\",node=\"")
            .append(label(w.node())).append("\"} ").append(Dashboard.number(value.applyAsDouble(w)))
            .append('\n');
      }
    }
  }

  /** A label value as the text format writes it: backslash, quote and newline escaped. */
  private static String label(String v) {
    return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  private static void part(StringBuilder b, String part, double value) {
    b.append("olmo4j_step_seconds{part=\"").append(part).append("\"} ")
        .append(Dashboard.number(value)).append('\n');
  }
}
