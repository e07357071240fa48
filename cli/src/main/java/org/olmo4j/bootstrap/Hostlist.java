package org.olmo4j.bootstrap;

import java.util.ArrayList;
import java.util.List;

/**
 * Slurm hostlist expansion, as {@code scontrol show hostnames} does it: {@code nid[001-004,007]},
 * {@code gpu-a[1-2]-b[3,5]}, {@code node1,node[3-4]}. Zero padding of a range's lower bound is
 * kept; several bracket groups in one name expand to their product, the leftmost varying slowest.
 */
public final class Hostlist {

  /** More hosts than any machine has: a typo such as {@code [1-99999999]} fails instead of hanging. */
  static final int MAX_HOSTS = 1_000_000;

  private Hostlist() {}

  /** The host names of {@code hostlist}; throws {@link IllegalArgumentException} saying what is wrong. */
  public static List<String> expand(String hostlist) {
    if (hostlist == null || hostlist.isBlank()) {
      throw new IllegalArgumentException("the hostlist is empty");
    }
    List<String> hosts = new ArrayList<>();
    for (String item : splitTopLevel(hostlist.trim())) {
      if (item.isEmpty()) {
        throw new IllegalArgumentException("empty host name between commas");
      }
      expandItem(item, hosts);
    }
    return hosts;
  }

  /** Splits on commas outside brackets; checks that brackets pair up and do not nest. */
  private static List<String> splitTopLevel(String s) {
    List<String> items = new ArrayList<>();
    int depth = 0;
    int start = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '[') {
        if (depth++ > 0) {
          throw new IllegalArgumentException("nested '[' at position " + i);
        }
      } else if (c == ']') {
        if (depth-- == 0) {
          throw new IllegalArgumentException("']' without '[' at position " + i);
        }
      } else if (c == ',' && depth == 0) {
        items.add(s.substring(start, i));
        start = i + 1;
      } else if (Character.isWhitespace(c)) {
        throw new IllegalArgumentException("whitespace at position " + i);
      }
    }
    if (depth != 0) {
      throw new IllegalArgumentException("'[' is never closed");
    }
    items.add(s.substring(start));
    return items;
  }

  private static void expandItem(String item, List<String> out) {
    List<String> partial = List.of("");
    int i = 0;
    while (i < item.length()) {
      int open = item.indexOf('[', i);
      String literal = open < 0 ? item.substring(i) : item.substring(i, open);
      partial = append(partial, List.of(literal));
      if (open < 0) {
        break;
      }
      int close = item.indexOf(']', open);
      partial = append(partial, ranges(item.substring(open + 1, close), item));
      i = close + 1;
    }
    if (out.size() + partial.size() > MAX_HOSTS) {
      throw new IllegalArgumentException("more than " + MAX_HOSTS + " hosts");
    }
    out.addAll(partial);
  }

  private static List<String> append(List<String> prefixes, List<String> suffixes) {
    if ((long) prefixes.size() * suffixes.size() > MAX_HOSTS) {
      throw new IllegalArgumentException("more than " + MAX_HOSTS + " hosts");
    }
    List<String> out = new ArrayList<>(prefixes.size() * suffixes.size());
    for (String p : prefixes) {
      for (String s : suffixes) {
        out.add(p + s);
      }
    }
    return out;
  }

  /** {@code 001-004,007} → 001 002 003 004 007. */
  private static List<String> ranges(String group, String item) {
    if (group.isEmpty()) {
      throw new IllegalArgumentException("empty brackets in '" + item + "'");
    }
    List<String> out = new ArrayList<>();
    for (String range : group.split(",", -1)) {
      int dash = range.indexOf('-');
      String lo = dash < 0 ? range : range.substring(0, dash);
      String hi = dash < 0 ? range : range.substring(dash + 1);
      if (!lo.matches("[0-9]{1,18}") || !hi.matches("[0-9]{1,18}")) {
        throw new IllegalArgumentException("'" + range + "' in '" + item
            + "' is not a number or a range N-M");
      }
      long from = Long.parseLong(lo);
      long to = Long.parseLong(hi);
      if (to < from) {
        throw new IllegalArgumentException("range '" + range + "' in '" + item + "' runs backwards");
      }
      if (to - from + out.size() >= MAX_HOSTS) {
        throw new IllegalArgumentException("more than " + MAX_HOSTS + " hosts");
      }
      String format = "%0" + lo.length() + "d";
      for (long n = from; n <= to; n++) {
        out.add(String.format(format, n));
      }
    }
    return out;
  }
}
