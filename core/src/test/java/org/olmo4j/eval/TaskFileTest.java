package org.olmo4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.data.DataException;

/** The task JSONL format: examples read back; bad lines are named by file and line. */
class TaskFileTest {

  @TempDir Path tmp;

  private static final String GOOD = "{\"context\": \"a\", \"continuations\": [\" b\", \" c\"], \"gold\": 1}";

  private String error(String badLine) throws Exception {
    Path f = tmp.resolve("bad.jsonl");
    Files.writeString(f, GOOD + "\n\n" + badLine + "\n");
    DataException e = assertThrows(DataException.class, () -> TaskFile.read(f));
    assertTrue(e.getMessage().startsWith(f + ":3: "), e.getMessage());
    return e.getMessage();
  }

  @Test
  void readsSharedAndPerChoiceContextsAndWritesThemBack() throws Exception {
    Path f = EvalFixtures.task(tmp);
    List<TaskExample> xs = TaskFile.read(f);
    assertEquals(4, xs.size());
    assertEquals(List.of("The cat sat on the", "The cat sat on the", "The cat sat on the"),
        xs.get(0).contexts());
    assertEquals(List.of("Anna gave Bob", "Bob gave Anna"), xs.get(2).contexts());
    assertEquals(3, xs.get(3).gold());
    assertEquals("Answer:", xs.get(0).unconditionalContext());
    Path again = tmp.resolve("again.jsonl");
    TaskFile.write(again, xs);
    List<TaskExample> back = TaskFile.read(again);
    for (int i = 0; i < xs.size(); i++) {
      assertEquals(xs.get(i).contexts(), back.get(i).contexts());
      assertEquals(xs.get(i).continuations(), back.get(i).continuations());
      assertEquals(xs.get(i).gold(), back.get(i).gold());
    }
  }

  @Test
  void missingFieldIsNamed() throws Exception {
    assertTrue(error("{\"context\": \"a\", \"gold\": 0}").contains("missing field 'continuations'"));
    assertTrue(error("{\"context\": \"a\", \"continuations\": [\" b\"]}").contains("missing field 'gold'"));
    assertTrue(error("{\"continuations\": [\" b\"], \"gold\": 0}").contains("missing field 'context'"));
  }

  @Test
  void goldOutOfRangeIsNamed() throws Exception {
    String m = error("{\"context\": \"a\", \"continuations\": [\" b\", \" c\"], \"gold\": 2}");
    assertTrue(m.contains("gold index 2 is out of range [0, 2)"), m);
    assertTrue(error("{\"context\": \"a\", \"continuations\": [\" b\"], \"gold\": -1}").contains("out of range"));
    assertTrue(error("{\"context\": \"a\", \"continuations\": [\" b\"], \"gold\": \"0\"}")
        .contains("'gold' must be an integer"));
  }

  @Test
  void emptyContinuationsAreNamed() throws Exception {
    assertTrue(error("{\"context\": \"a\", \"continuations\": [], \"gold\": 0}")
        .contains("'continuations' is empty"));
    assertTrue(error("{\"context\": \"a\", \"continuations\": [\" b\", \"\"], \"gold\": 0}")
        .contains("continuation 1 is the empty string"));
  }

  @Test
  void otherMistakesAreNamedToo() throws Exception {
    assertTrue(error("not json").contains("not a JSON object"));
    assertTrue(error("{\"contexts\": [\"a\"], \"continuations\": [\" b\", \" c\"], \"gold\": 0}")
        .contains("'contexts' has 1 entries but 'continuations' has 2"));
    Path empty = tmp.resolve("empty.jsonl");
    Files.writeString(empty, "\n");
    assertTrue(assertThrows(DataException.class, () -> TaskFile.read(empty)).getMessage()
        .contains("has no examples"));
  }

  @Test
  void pmiDcWithoutUnconditionalContextNamesTheLine() throws Exception {
    Path f = tmp.resolve("t.jsonl");
    Files.writeString(f, GOOD + "\n");
    var cfg = EvalFixtures.config(EvalFixtures.tokens(tmp, "x.npy", 64, 1),
        "- {label: t, type: downstream, metric: pmi_dc, data: {paths: [" + f + "]}}");
    DataException e = assertThrows(DataException.class,
        () -> EvalPlan.build(cfg, EvalSources.atDefaultCache()));
    assertTrue(e.getMessage().contains(f + ":1: missing field 'unconditional_context'"), e.getMessage());
  }
}
