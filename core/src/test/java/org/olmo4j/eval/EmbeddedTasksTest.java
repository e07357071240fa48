package org.olmo4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generated next-sentence and last-word tasks: seeded, well-formed, gold answer is the truth. */
class EmbeddedTasksTest {

  @TempDir Path tmp;

  static List<String> docs() {
    List<String> docs = new ArrayList<>();
    for (int d = 0; d < 4; d++) {
      StringBuilder sb = new StringBuilder();
      for (int s = 0; s < 12; s++) {
        sb.append("Document ").append(d).append(" tells sentence number ").append(s)
            .append(" about the harbour lighthouse keeper.\n");
      }
      docs.add(sb.toString());
    }
    return docs;
  }

  @Test
  void sameSeedSameFilesOtherSeedOtherFiles() throws Exception {
    EmbeddedTasks.generate(docs(), 5, 30, tmp.resolve("a"));
    EmbeddedTasks.generate(docs(), 5, 30, tmp.resolve("b"));
    EmbeddedTasks.generate(docs(), 6, 30, tmp.resolve("c"));
    for (String f : EmbeddedTasks.FILES) {
      assertEquals(Files.readString(tmp.resolve("a").resolve(f)), Files.readString(tmp.resolve("b").resolve(f)), f);
      assertNotEquals(Files.readString(tmp.resolve("a").resolve(f)), Files.readString(tmp.resolve("c").resolve(f)), f);
    }
  }

  @Test
  void goldIsTheTrueNextSentenceAndTheTrueLastWord() throws Exception {
    EmbeddedTasks.generate(docs(), 5, 30, tmp);
    List<TaskExample> next = TaskFile.read(tmp.resolve(EmbeddedTasks.NEXT_SENTENCE));
    assertEquals(30, next.size());
    for (TaskExample x : next) {
      assertEquals(4, x.choices());
      String ctx = x.contexts().get(0);
      int doc = ctx.charAt("Document ".length()) - '0';
      String lastNumber = ctx.replaceAll(".*sentence number (\\d+) about.*$", "$1");
      String gold = x.continuations().get(x.gold());
      assertTrue(gold.startsWith(" Document " + doc + " tells sentence number "
          + (Integer.parseInt(lastNumber) + 1) + " "), ctx + " → " + gold);
      for (int c = 0; c < 4; c++) {
        if (c != x.gold()) {
          assertTrue(!x.continuations().get(c).startsWith(" Document " + doc + " "), "distractor from another document");
        }
      }
    }
    List<TaskExample> last = TaskFile.read(tmp.resolve(EmbeddedTasks.LAST_WORD));
    assertEquals(30, last.size());
    for (TaskExample x : last) {
      assertEquals(" keeper", x.continuations().get(x.gold()));
      assertTrue(x.contexts().get(0).endsWith(" lighthouse"), x.contexts().get(0));
      assertEquals(4, x.continuations().stream().distinct().count());
    }
  }

  @Test
  void sentencesSplitAfterStopsBeforeCapitals() {
    assertEquals(List.of("It was a dark and stormy night.", "\"Who is there?\" she asked the wind."),
        EmbeddedTasks.sentences("It was a dark and stormy\n night. \"Who is there?\" she asked the wind."));
  }
}
