package org.olmo4j.eval;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Pattern;

/**
 * Generates the two embedded multiple-choice tasks from held-out documents, deterministically
 * from a seed: {@code next_sentence.jsonl} (HellaSwag-style: three sentences, then the true next
 * sentence against three sentences of other documents) and {@code last_word.jsonl}
 * (LAMBADA-style: a passage without its last word, the true word against three other words of
 * the same passage).
 */
public final class EmbeddedTasks {

  public static final String NEXT_SENTENCE = "next_sentence.jsonl";
  public static final String LAST_WORD = "last_word.jsonl";
  public static final List<String> FILES = List.of(NEXT_SENTENCE, LAST_WORD);
  public static final long DEFAULT_SEED = 6198;
  public static final int DEFAULT_EXAMPLES = 1000;

  private static final Pattern SENTENCE_END =
      Pattern.compile("(?<=[.!?][\"')\\]]?)\\s+(?=[\"'(\\[]?[A-Z])");
  private static final Pattern WORD = Pattern.compile("[A-Za-z]{3,}");
  private static final Pattern LAST = Pattern.compile("^(.*\\S)\\s+([A-Za-z]{3,})([.!?\"')\\]]*)$");
  private static final int CONTEXT_SENTENCES = 3;
  private static final int CHOICES = 4;

  private EmbeddedTasks() {}

  /** Writes both task files into {@code dir}; {@code examples} per task. */
  public static void generate(List<String> documents, long seed, int examples, Path dir) {
    List<List<String>> docs = new ArrayList<>();
    for (String d : documents) {
      List<String> s = sentences(d);
      if (s.size() > CONTEXT_SENTENCES + 1) {
        docs.add(s);
      }
    }
    if (docs.size() < 2) {
      throw new IllegalArgumentException("need at least 2 documents of more than "
          + (CONTEXT_SENTENCES + 1) + " sentences to generate tasks, got " + docs.size());
    }
    TaskFile.write(dir.resolve(NEXT_SENTENCE), nextSentence(docs, new SplittableRandom(seed), examples));
    TaskFile.write(dir.resolve(LAST_WORD), lastWord(docs, new SplittableRandom(seed + 1), examples));
  }

  /** Sentences of a text: whitespace collapsed, split after . ! ? before a capital; 20–300 chars. */
  static List<String> sentences(String text) {
    List<String> out = new ArrayList<>();
    for (String s : SENTENCE_END.split(text.replaceAll("\\s+", " ").strip())) {
      if (s.length() >= 20 && s.length() <= 300) {
        out.add(s);
      }
    }
    return out;
  }

  static List<TaskExample> nextSentence(List<List<String>> docs, SplittableRandom rnd, int n) {
    List<TaskExample> out = new ArrayList<>();
    while (out.size() < n) {
      int d = rnd.nextInt(docs.size());
      List<String> doc = docs.get(d);
      int k = rnd.nextInt(doc.size() - CONTEXT_SENTENCES) + CONTEXT_SENTENCES;
      String context = String.join(" ", doc.subList(k - CONTEXT_SENTENCES, k));
      Set<String> choices = new LinkedHashSet<>();
      choices.add(" " + doc.get(k));
      while (choices.size() < CHOICES) {
        int other = rnd.nextInt(docs.size() - 1);
        List<String> o = docs.get(other >= d ? other + 1 : other);
        choices.add(" " + o.get(rnd.nextInt(o.size())));
      }
      out.add(shuffled(context, new ArrayList<>(choices), rnd));
    }
    return out;
  }

  static List<TaskExample> lastWord(List<List<String>> docs, SplittableRandom rnd, int n) {
    List<TaskExample> out = new ArrayList<>();
    int attempts = 0;
    while (out.size() < n) {
      if (++attempts > 100 * n) {
        throw new IllegalArgumentException("the documents give too few last-word passages");
      }
      List<String> doc = docs.get(rnd.nextInt(docs.size()));
      int k = rnd.nextInt(doc.size() - CONTEXT_SENTENCES + 1) + CONTEXT_SENTENCES;
      String passage = String.join(" ", doc.subList(k - CONTEXT_SENTENCES, k));
      var m = LAST.matcher(passage);
      if (!m.matches()) {
        continue;
      }
      String context = m.group(1);
      String target = m.group(2);
      Set<String> seen = new LinkedHashSet<>();
      seen.add(target.toLowerCase(Locale.ROOT));
      List<String> words = new ArrayList<>();
      WORD.matcher(context).results().map(r -> r.group()).forEach(w -> {
        if (seen.add(w.toLowerCase(Locale.ROOT))) {
          words.add(w);
        }
      });
      if (words.size() < CHOICES - 1) {
        continue;
      }
      List<String> choices = new ArrayList<>(List.of(" " + target));
      for (int c = 1; c < CHOICES; c++) {
        choices.add(" " + words.remove(rnd.nextInt(words.size())));
      }
      out.add(shuffled(context, choices, rnd));
    }
    return out;
  }

  /** The example with its choices in a seeded order; choice 0 of {@code choices} is the gold one. */
  private static TaskExample shuffled(String context, List<String> choices, SplittableRandom rnd) {
    String gold = choices.get(0);
    for (int i = choices.size() - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      choices.set(i, choices.set(j, choices.get(i)));
    }
    return TaskExample.shared(context, choices, choices.indexOf(gold), null);
  }
}
