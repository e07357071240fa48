package org.olmo4j.data;

import java.util.ArrayList;
import java.util.List;

/**
 * OLMo's {@code find_periodic_sequences}, result for result: for each period p in
 * {@code [minPeriod, min(maxPeriod, n / 3)]} the tokens are laid out in rows of p (the last row
 * padded); runs of rows equal to the row above are repeats, widened by the matching tail of the
 * row before and head of the row after. Only repeats of 3 or more are reported, since a shorter
 * one cannot be told apart from an unaligned start. The quirks (row 0 compared with the padded
 * last row, {@code times} rounded down) are kept so that the same instances are filtered as in OLMo.
 */
public final class PeriodicSequences {

  /** A token sequence of {@code period} tokens repeated {@code times} times over {@code [start, end)}. */
  public record Repetition(int start, int end, int period, int times) {}

  /** Stands for the padding; token ids are never negative. */
  private static final long PAD = -1;

  private PeriodicSequences() {}

  /** The repetitions in {@code tokens[offset .. offset + length)}, by period, then position. */
  public static List<Repetition> find(long[] tokens, int offset, int length, int maxPeriod,
      int minPeriod) {
    List<Repetition> out = new ArrayList<>();
    int top = Math.min(maxPeriod, length / 3);
    for (int period = Math.max(1, minPeriod); period <= top; period++) {
      Rows rows = new Rows(tokens, offset, length, period);
      int r = 0;
      while (r < rows.count) {
        if (!rows.equalsAbove(r)) {
          r++;
          continue;
        }
        int first = r;
        while (r + 1 < rows.count && rows.equalsAbove(r + 1)) {
          r++;
        }
        int last = r;
        r++;
        int tail = rows.trailingMatches(first - 1);
        int startOffset = tail == period ? 0 : tail;
        int endOffset = last + 1 < rows.count ? rows.leadingMatches(last + 1) : 0;
        int start = (first - 1) * period - startOffset;
        int end = (last + 1) * period + endOffset;
        int times = Math.floorDiv(end - start, period);
        if (times > 2) {
          out.add(new Repetition(start, end, period, times));
        }
      }
    }
    return out;
  }

  /** The tokens as rows of {@code period}, padded to always end in at least one pad. */
  private static final class Rows {
    final long[] tokens;
    final int offset;
    final int length;
    final int period;
    final int count;

    Rows(long[] tokens, int offset, int length, int period) {
      this.tokens = tokens;
      this.offset = offset;
      this.length = length;
      this.period = period;
      // numpy pads period - n % period, a whole row when n is a multiple of period.
      this.count = (length + period - length % period) / period;
    }

    long at(int row, int col) {
      int i = row * period + col;
      return i < length ? tokens[offset + i] : PAD;
    }

    /** Element (row, col) equals the one above; row 0's "above" is the last row (numpy's roll). */
    boolean matches(int row, int col) {
      int above = row == 0 ? count - 1 : row - 1;
      return at(row, col) == at(above, col);
    }

    boolean equalsAbove(int row) {
      for (int c = 0; c < period; c++) {
        if (!matches(row, c)) {
          return false;
        }
      }
      return true;
    }

    int leadingMatches(int row) {
      int n = 0;
      while (n < period && matches(row, n)) {
        n++;
      }
      return n;
    }

    int trailingMatches(int row) {
      int n = 0;
      while (n < period && matches(row, period - 1 - n)) {
        n++;
      }
      return n;
    }
  }
}
