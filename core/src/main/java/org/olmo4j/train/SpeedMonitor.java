package org.olmo4j.train;

import java.util.ArrayDeque;

/** Throughput over a sliding window of steps (OLMo's speed_monitor), with MFU and ETA. */
public final class SpeedMonitor {

  private record Sample(long tokens, double seconds) {}

  private final int window;
  private final double flopsPerToken;
  private final double peakFlops;
  private final ArrayDeque<Sample> samples = new ArrayDeque<>();
  private long windowTokens;
  private double windowSeconds;

  /**
   * @param flopsPerToken model FLOPs per trained token (forward + backward)
   * @param peakFlops reference FLOP/s for MFU (measured peak matmul); ≤ 0 disables MFU
   */
  public SpeedMonitor(int window, double flopsPerToken, double peakFlops) {
    this.window = window;
    this.flopsPerToken = flopsPerToken;
    this.peakFlops = peakFlops;
  }

  public void record(long tokens, double seconds) {
    samples.addLast(new Sample(tokens, seconds));
    windowTokens += tokens;
    windowSeconds += seconds;
    if (samples.size() > window) {
      Sample old = samples.removeFirst();
      windowTokens -= old.tokens;
      windowSeconds -= old.seconds;
    }
  }

  public double tokensPerSecond() {
    return windowSeconds > 0 ? windowTokens / windowSeconds : 0;
  }

  public double modelFlopsPerSecond() {
    return tokensPerSecond() * flopsPerToken;
  }

  public double mfu() {
    return peakFlops > 0 ? modelFlopsPerSecond() / peakFlops : 0;
  }

  public double secondsPerStep() {
    return samples.isEmpty() ? 0 : windowSeconds / samples.size();
  }

  /** Seconds left for {@code stepsLeft} steps at the current pace. */
  public double etaSeconds(long stepsLeft) {
    return secondsPerStep() * stepsLeft;
  }

  /** {@code 1h02m03s} style. */
  public static String formatDuration(double seconds) {
    long s = Math.round(seconds);
    long h = s / 3600;
    long m = (s % 3600) / 60;
    long sec = s % 60;
    return h > 0 ? String.format("%dh%02dm%02ds", h, m, sec)
        : m > 0 ? String.format("%dm%02ds", m, sec) : sec + "s";
  }
}
