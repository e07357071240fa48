package org.olmo4j.plot;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A linear axis over [lo, hi] with "nice" ticks (1, 2 or 5 times a power of ten) and their labels. */
record Axis(double lo, double hi, double tickStep) {

  /** An axis covering {@code min..max} with about {@code ticks} ticks, widened to whole ticks. */
  static Axis covering(double min, double max, int ticks) {
    if (!(max > min)) {
      double pad = min == 0 ? 1 : Math.abs(min) * 0.1;
      min -= pad;
      max += pad;
    }
    double raw = (max - min) / Math.max(1, ticks);
    double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    double step = magnitude;
    for (double m : new double[] {1, 2, 5, 10}) {
      if (m * magnitude >= raw) {
        step = m * magnitude;
        break;
      }
    }
    return new Axis(Math.floor(min / step) * step, Math.ceil(max / step) * step, step);
  }

  /** The tick values from lo to hi. */
  List<Double> ticks() {
    List<Double> out = new ArrayList<>();
    long n = Math.round((hi - lo) / tickStep);
    for (long i = 0; i <= n; i++) {
      out.add(lo + i * tickStep);
    }
    return out;
  }

  /** Where {@code v} falls, as a fraction of the axis: 0 at lo, 1 at hi. */
  double fraction(double v) {
    return (v - lo) / (hi - lo);
  }

  /** A tick label: plain for ordinary magnitudes, {@code 1e-04} style for tiny ones, k/M for large. */
  String label(double v) {
    double a = Math.abs(v);
    if (a < tickStep * 1e-6) {
      return "0";
    }
    if (a >= 1e6) {
      return trim(String.format(Locale.ROOT, "%.2f", v / 1e6)) + "M";
    }
    if (a >= 1e4) {
      return trim(String.format(Locale.ROOT, "%.1f", v / 1e3)) + "k";
    }
    if (tickStep < 1e-3) {
      return String.format(Locale.ROOT, "%.1e", v);
    }
    int decimals = Math.max(0, (int) Math.ceil(-Math.log10(tickStep) - 1e-9));
    return String.format(Locale.ROOT, "%." + decimals + "f", v);
  }

  private static String trim(String s) {
    return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
  }
}
