package org.olmo4j.coordinator;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;

/**
 * Each rank's step, compute and wait times over the last {@link #WINDOW} steps of one world, and
 * the slowest rank (README: Stragglers). A rank's wait is the part of its step spent waiting for
 * collectives (transfers, and waiting for the ranks that arrive later); its compute is the rest
 * (its micro-batches, forward/backward, optimizer), the part the others wait for when it is slow.
 *
 * <p>A rank is compared with the median of the other ranks, not of all: with two ranks a median
 * that counts the rank itself is the mean of both, and no ratio to it could exceed 2.
 */
final class RankTimes {

  /** Steps the medians cover. */
  static final int WINDOW = 20;

  /** One rank's medians over the window (NaN before its first step). */
  record Rank(int rank, double stepSeconds, double computeSeconds, double waitSeconds) {
    static Rank none(int rank) {
      return new Rank(rank, Double.NaN, Double.NaN, Double.NaN);
    }
  }

  /**
   * The rank with the highest median compute and its ratio to the median of the other ranks'
   * medians; rank -1 and a NaN ratio with fewer than two ranks or before the first step.
   */
  record Slowest(int rank, double ratio) {
    static final Slowest NONE = new Slowest(-1, Double.NaN);
  }

  private record Sample(double step, double compute, double waited) {}

  private final List<Deque<Sample>> windows = new ArrayList<>();
  private final double drainRatio;
  private final int[] streaks;
  private final double[] lastRatios;

  /**
   * @param drainRatio a rank's compute over this many times the others' median counts toward its
   *     streak ({@link #streak}); +∞ when no policy drains
   */
  RankTimes(int worldSize, double drainRatio) {
    for (int r = 0; r < worldSize; r++) {
      windows.add(new ArrayDeque<>());
    }
    this.drainRatio = drainRatio;
    this.streaks = new int[worldSize];
    this.lastRatios = new double[worldSize];
    Arrays.fill(lastRatios, Double.NaN);
  }

  /** Records one step every rank has finished: {@code stepSeconds[r]}, {@code waitSeconds[r]}. */
  void step(double[] stepSeconds, double[] waitSeconds) {
    double[] compute = new double[windows.size()];
    for (int r = 0; r < compute.length; r++) {
      // Clocks of one JVM, read on one thread: the wait is part of the step, up to rounding.
      compute[r] = Math.max(0, stepSeconds[r] - waitSeconds[r]);
      Deque<Sample> w = windows.get(r);
      w.addLast(new Sample(stepSeconds[r], compute[r], waitSeconds[r]));
      if (w.size() > WINDOW) {
        w.removeFirst();
      }
    }
    for (int r = 0; r < compute.length; r++) {
      lastRatios[r] = ratioToOthers(compute, r);
      streaks[r] = lastRatios[r] > drainRatio ? streaks[r] + 1 : 0;
    }
  }

  /** Steps in the window so far. */
  int steps() {
    return windows.isEmpty() ? 0 : windows.get(0).size();
  }

  /** The world's recent step time: the median of the slowest rank's; NaN before any step. */
  double medianStepSeconds() {
    double m = Double.NaN;
    for (int r = 0; r < windows.size() && steps() > 0; r++) {
      double s = rank(r).stepSeconds();
      m = Double.isNaN(m) ? s : Math.max(m, s);
    }
    return m;
  }

  Rank rank(int r) {
    Deque<Sample> w = windows.get(r);
    return new Rank(r, median(w.stream().mapToDouble(Sample::step).toArray()),
        median(w.stream().mapToDouble(Sample::compute).toArray()),
        median(w.stream().mapToDouble(Sample::waited).toArray()));
  }

  Slowest slowest() {
    if (windows.size() < 2 || steps() == 0) {
      return Slowest.NONE;
    }
    double[] compute = new double[windows.size()];
    int slowest = 0;
    for (int r = 0; r < compute.length; r++) {
      compute[r] = rank(r).computeSeconds();
      if (compute[r] > compute[slowest]) {
        slowest = r;
      }
    }
    return new Slowest(slowest, ratioToOthers(compute, slowest));
  }

  /**
   * Consecutive steps, up to the last, in which rank {@code r} computed over drainRatio × the
   * median of the other ranks.
   */
  int streak(int r) {
    return streaks[r];
  }

  /** Rank {@code r}'s compute in the last step over the median of the other ranks' (NaN: none). */
  double lastRatio(int r) {
    return lastRatios[r];
  }

  /** {@code values[r]} over the median of the other values; NaN when there are none or it is 0. */
  static double ratioToOthers(double[] values, int r) {
    double[] others = new double[values.length - 1];
    for (int i = 0, j = 0; i < values.length; i++) {
      if (i != r) {
        others[j++] = values[i];
      }
    }
    double m = median(others);
    return m > 0 ? values[r] / m : Double.NaN;
  }

  /** The middle value (the mean of the two middle ones for an even count); NaN for none. */
  static double median(double[] values) {
    if (values.length == 0) {
      return Double.NaN;
    }
    double[] v = values.clone();
    Arrays.sort(v);
    int mid = v.length / 2;
    return v.length % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  }
}
