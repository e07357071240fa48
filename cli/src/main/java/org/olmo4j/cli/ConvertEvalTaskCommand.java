package org.olmo4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.olmo4j.eval.TaskConverter;
import org.olmo4j.eval.TaskFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code olmo4j convert-eval-task --format F IN OUT}: a public data set → the task JSONL. */
@Command(name = "convert-eval-task", mixinStandardHelpOptions = true,
    description = "Convert a public multiple-choice data set (JSONL) into olmo4j's task JSONL.")
final class ConvertEvalTaskCommand implements Callable<Integer> {

  @Option(names = "--format", required = true,
      description = "hellaswag, piqa, arc, sciq, copa, boolq, openbookqa or winogrande")
  String format;

  @Option(names = "--labels", description = "PIQA: the labels file (one 0/1 per line)")
  Path labels;

  @Parameters(index = "0", description = "Input JSONL in the data set's own format")
  Path in;

  @Parameters(index = "1", description = "Output task JSONL")
  Path out;

  @Override
  public Integer call() {
    int n = TaskConverter.convert(TaskFormat.named(format), in, out, labels);
    System.out.printf("wrote %d %s examples to %s%n", n, format, out);
    return 0;
  }
}
