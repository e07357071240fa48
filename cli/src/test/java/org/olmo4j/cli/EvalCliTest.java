package org.olmo4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.eval.EmbeddedTasks;
import org.olmo4j.eval.TaskExample;
import org.olmo4j.eval.TaskFile;

/** The eval task commands end to end: generate-eval-tasks (seeded) and convert-eval-task. */
class EvalCliTest {

  @TempDir Path tmp;

  @Test
  void generateEvalTasksIsDeterministicPerSeed() throws Exception {
    for (String dir : List.of("a", "b")) {
      CliTest.Run r = CliTest.run("generate-eval-tasks", "--output", tmp.resolve(dir).toString(),
          "--seed", "3", "--examples", "25");
      assertEquals(0, r.code(), r.err());
      assertTrue(r.out().contains("wrote 25 examples to"), r.out());
    }
    for (String f : EmbeddedTasks.FILES) {
      assertEquals(Files.readString(tmp.resolve("a").resolve(f)), Files.readString(tmp.resolve("b").resolve(f)));
      List<TaskExample> xs = TaskFile.read(tmp.resolve("a").resolve(f));
      assertEquals(25, xs.size());
      xs.forEach(x -> assertEquals(4, x.choices()));
    }
    CliTest.Run bad = CliTest.run("generate-eval-tasks", "--output", tmp.toString(), "--examples", "0");
    assertEquals(2, bad.code());
    assertTrue(bad.err().contains("--examples must be positive"), bad.err());
  }

  @Test
  void convertEvalTaskWritesTheTaskFormat() throws Exception {
    Path in = tmp.resolve("piqa.jsonl");
    Files.writeString(in, "{\"goal\": \"Dry wet hands\", \"sol1\": \"use a towel\", \"sol2\": \"use water\"}\n"
        + "{\"goal\": \"Cool tea\", \"sol1\": \"boil it\", \"sol2\": \"wait\"}\n");
    Path labels = tmp.resolve("labels.lst");
    Files.writeString(labels, "0\n1\n");
    Path out = tmp.resolve("out.jsonl");
    CliTest.Run r = CliTest.run("convert-eval-task", "--format", "piqa", "--labels", labels.toString(),
        in.toString(), out.toString());
    assertEquals(0, r.code(), r.err());
    List<TaskExample> xs = TaskFile.read(out);
    assertEquals(List.of(0, 1), xs.stream().map(TaskExample::gold).toList());
    assertEquals("Question: Cool tea\nAnswer:", xs.get(1).contexts().get(0));

    CliTest.Run unknown = CliTest.run("convert-eval-task", "--format", "mmlu", in.toString(), out.toString());
    assertEquals(2, unknown.code());
    assertTrue(unknown.err().contains("unknown task format 'mmlu'"), unknown.err());
    Files.writeString(in, "{\"goal\": \"x\", \"sol2\": \"y\", \"label\": 0}\n");
    CliTest.Run missing = CliTest.run("convert-eval-task", "--format", "piqa", in.toString(), out.toString());
    assertEquals(2, missing.code());
    assertTrue(missing.err().contains(in + ":1: missing field 'sol1'"), missing.err());
  }
}
