package org.olmo4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.olmo4j.data.EmbeddedCorpus;
import org.olmo4j.eval.EmbeddedTasks;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code olmo4j generate-eval-tasks}: the embedded next-sentence and last-word tasks, seeded. */
@Command(name = "generate-eval-tasks", mixinStandardHelpOptions = true,
    description = {"Generate the embedded multiple-choice tasks from the held-out text:",
        "next_sentence.jsonl (HellaSwag-style) and last_word.jsonl (LAMBADA-style)."})
final class GenerateEvalTasksCommand implements Callable<Integer> {

  @Option(names = "--output", required = true, description = "Output directory")
  Path output;

  @Option(names = "--seed", defaultValue = "" + EmbeddedTasks.DEFAULT_SEED,
      description = "Seed (default ${DEFAULT-VALUE}, the one embedded:eval/… uses)")
  long seed;

  @Option(names = "--examples", defaultValue = "" + EmbeddedTasks.DEFAULT_EXAMPLES,
      description = "Examples per task (default ${DEFAULT-VALUE})")
  int examples;

  @Override
  public Integer call() {
    if (examples < 1) {
      throw new IllegalArgumentException("--examples must be positive, got " + examples);
    }
    EmbeddedTasks.generate(EmbeddedCorpus.atDefaultCache().heldoutDocuments(), seed, examples, output);
    for (String f : EmbeddedTasks.FILES) {
      System.out.printf("wrote %d examples to %s%n", examples, output.resolve(f));
    }
    return 0;
  }
}
