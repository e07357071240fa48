package org.olmo4j.config;

import java.util.Collection;
import java.util.Comparator;
import java.util.Optional;

/** "Did you mean" for a mistyped dotted key: the nearest known key by edit distance. */
final class KeySuggestions {

  private KeySuggestions() {}

  /** {@code " (did you mean 'x'?)"}, or the empty string when no known key is close enough. */
  static String didYouMean(String path, Collection<String> known) {
    return closest(path, known).map(k -> " (did you mean '" + k + "'?)").orElse("");
  }

  static Optional<String> closest(String path, Collection<String> known) {
    String leaf = leaf(path);
    int leafLimit = Math.max(1, leaf.length() / 3);
    int pathLimit = Math.max(2, path.length() / 4);
    return known.stream()
        .filter(k -> distance(leaf, leaf(k)) <= leafLimit || distance(path, k) <= pathLimit)
        .min(Comparator.<String>comparingInt(k -> distance(leaf, leaf(k)))
            .thenComparingInt(k -> distance(path, k)));
  }

  private static String leaf(String path) {
    return path.substring(path.lastIndexOf('.') + 1);
  }

  /** Levenshtein distance. */
  static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitute = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(substitute, Math.min(prev[j], cur[j - 1]) + 1);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
