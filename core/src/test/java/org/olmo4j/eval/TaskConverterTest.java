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

/** The converters on hand-written records in each public data set's own format. */
class TaskConverterTest {

  @TempDir Path tmp;

  private List<TaskExample> convert(TaskFormat f, String jsonl) throws Exception {
    return convert(f, jsonl, null);
  }

  private List<TaskExample> convert(TaskFormat f, String jsonl, String labels) throws Exception {
    Path in = tmp.resolve(f.cliName() + ".in.jsonl");
    Path out = tmp.resolve(f.cliName() + ".jsonl");
    Files.writeString(in, jsonl);
    Path l = null;
    if (labels != null) {
      l = tmp.resolve("labels.lst");
      Files.writeString(l, labels);
    }
    TaskConverter.convert(f, in, out, l);
    return TaskFile.read(out);
  }

  @Test
  void hellaswag() throws Exception {
    TaskExample x = convert(TaskFormat.HELLASWAG, "{\"activity_label\": \"Baking\", \"ctx_a\": "
        + "\"A man mixes flour.\", \"ctx_b\": \"he\", \"endings\": [\"bakes [header] bread.\", "
        + "\"swims.\", \"sings.\", \"runs.\"], \"label\": \"0\"}\n").get(0);
    assertEquals("Baking: A man mixes flour. He", x.contexts().get(0));
    assertEquals(List.of(" bakes bread.", " swims.", " sings.", " runs."), x.continuations());
    assertEquals(0, x.gold());
  }

  @Test
  void piqaWithLabelFieldOrLabelsFile() throws Exception {
    String rec = "{\"goal\": \"Open a jar\", \"sol1\": \"twist the lid\", \"sol2\": \"eat the lid\"}\n";
    TaskExample x = convert(TaskFormat.PIQA, rec, "1\n").get(0);
    assertEquals("Question: Open a jar\nAnswer:", x.contexts().get(0));
    assertEquals(List.of(" twist the lid", " eat the lid"), x.continuations());
    assertEquals(1, x.gold());
    assertEquals("Answer:", x.unconditionalContext());
    assertEquals(0, convert(TaskFormat.PIQA, rec.replace("}", ", \"label\": 0}")).get(0).gold());
  }

  @Test
  void arcWithLettersOrDigits() throws Exception {
    TaskExample x = convert(TaskFormat.ARC, "{\"question\": {\"stem\": \"What melts ice?\", "
        + "\"choices\": [{\"text\": \"heat\", \"label\": \"A\"}, {\"text\": \"cold\", \"label\": \"B\"}]}, "
        + "\"answerKey\": \"A\"}\n{\"question\": {\"stem\": \"Q2\", \"choices\": [{\"text\": \"x\", "
        + "\"label\": \"1\"}, {\"text\": \"y\", \"label\": \"2\"}]}, \"answerKey\": \"2\"}\n").get(0);
    assertEquals("Question: What melts ice?\nAnswer:", x.contexts().get(0));
    assertEquals(List.of(" heat", " cold"), x.continuations());
    assertEquals(0, x.gold());
    assertEquals(1, convert(TaskFormat.ARC, "{\"question\": {\"stem\": \"Q2\", \"choices\": "
        + "[{\"text\": \"x\", \"label\": \"1\"}, {\"text\": \"y\", \"label\": \"2\"}]}, "
        + "\"answerKey\": \"2\"}\n").get(0).gold());
  }

  @Test
  void sciq() throws Exception {
    TaskExample x = convert(TaskFormat.SCIQ, "{\"question\": \"What gas do plants take in?\", "
        + "\"distractor1\": \"oxygen\", \"distractor2\": \"helium\", \"distractor3\": \"neon\", "
        + "\"correct_answer\": \"carbon dioxide\", \"support\": \"Plants photosynthesize.\"}\n").get(0);
    assertEquals("Plants photosynthesize.\nQuestion: What gas do plants take in?\nAnswer:",
        x.contexts().get(0));
    assertEquals(" carbon dioxide", x.continuations().get(x.gold()));
    assertEquals(4, x.choices());
  }

  @Test
  void copa() throws Exception {
    TaskExample x = convert(TaskFormat.COPA, "{\"premise\": \"The man broke his toe.\", "
        + "\"choice1\": \"He dropped a hammer on his foot.\", \"choice2\": \"He got a hole in his sock.\", "
        + "\"question\": \"cause\", \"label\": 0}\n").get(0);
    assertEquals("The man broke his toe because", x.contexts().get(0));
    assertEquals(" he dropped a hammer on his foot.", x.continuations().get(0));
    assertEquals(0, x.gold());
    TaskExample y = convert(TaskFormat.COPA, "{\"premise\": \"It rained.\", \"choice1\": \"A\", "
        + "\"choice2\": \"B\", \"question\": \"effect\", \"label\": 1}\n").get(0);
    assertEquals("It rained therefore", y.contexts().get(0));
    assertEquals(1, y.gold());
  }

  @Test
  void boolq() throws Exception {
    TaskExample x = convert(TaskFormat.BOOLQ, "{\"question\": \"is the sky blue\", "
        + "\"passage\": \"The sky is blue.\", \"answer\": false}\n").get(0);
    assertEquals("The sky is blue.\nQuestion: is the sky blue?\nAnswer:", x.contexts().get(0));
    assertEquals(List.of(" yes", " no"), x.continuations());
    assertEquals(1, x.gold());
  }

  @Test
  void openbookqaBothLayouts() throws Exception {
    TaskExample hf = convert(TaskFormat.OPENBOOKQA, "{\"question_stem\": \"The sun is\", "
        + "\"choices\": {\"text\": [\"a star\", \"a moon\"], \"label\": [\"A\", \"B\"]}, "
        + "\"answerKey\": \"A\"}\n").get(0);
    assertEquals("The sun is", hf.contexts().get(0));
    assertEquals(List.of(" a star", " a moon"), hf.continuations());
    assertEquals(0, hf.gold());
    TaskExample orig = convert(TaskFormat.OPENBOOKQA, "{\"question\": {\"stem\": \"Ice is\", "
        + "\"choices\": [{\"text\": \"hot\", \"label\": \"A\"}, {\"text\": \"cold\", \"label\": \"B\"}]}, "
        + "\"answerKey\": \"B\"}\n").get(0);
    assertEquals(1, orig.gold());
  }

  @Test
  void winograndeScoresThePartAfterTheBlank() throws Exception {
    TaskExample x = convert(TaskFormat.WINOGRANDE, "{\"sentence\": \"Sarah was a much better "
        + "surgeon than Maria so _ always got the harder cases.\", \"option1\": \"Sarah\", "
        + "\"option2\": \"Maria\", \"answer\": \"1\"}\n").get(0);
    assertEquals(List.of("Sarah was a much better surgeon than Maria so Sarah",
        "Sarah was a much better surgeon than Maria so Maria"), x.contexts());
    assertEquals(List.of(" always got the harder cases.", " always got the harder cases."),
        x.continuations());
    assertEquals(0, x.gold());
  }

  @Test
  void missingFieldNamesFileLineAndField() throws Exception {
    Path in = tmp.resolve("arc.jsonl");
    Files.writeString(in, "\n{\"question\": {\"stem\": \"Q\"}, \"answerKey\": \"A\"}\n");
    DataException e = assertThrows(DataException.class,
        () -> TaskConverter.convert(TaskFormat.ARC, in, tmp.resolve("o.jsonl"), null));
    assertEquals(in + ":2: missing field 'choices'", e.getMessage());
    Files.writeString(in, "{\"sentence\": \"no blank\", \"option1\": \"a\", \"option2\": \"b\", \"answer\": \"1\"}\n");
    assertTrue(assertThrows(DataException.class, () -> TaskConverter.convert(TaskFormat.WINOGRANDE,
        in, tmp.resolve("o.jsonl"), null)).getMessage().contains(in + ":1: 'sentence' has no blank"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> TaskFormat.named("mmlu"))
        .getMessage().contains("hellaswag"));
  }
}
