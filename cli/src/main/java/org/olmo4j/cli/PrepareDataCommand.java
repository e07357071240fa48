package org.olmo4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.olmo4j.data.DataPreparer;
import org.olmo4j.data.EmbeddedCorpus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code olmo4j prepare-data}: text / JSONL(.gz) documents → OLMo memmap token files. */
@Command(name = "prepare-data", mixinStandardHelpOptions = true,
    description = {"Tokenize documents into OLMo memmap files (uint16, EOS after every document).",
        "Inputs: .txt (one document per file), .jsonl / .jsonl.gz / .json.gz (field \"text\")."})
final class PrepareDataCommand implements Callable<Integer> {

  @Option(names = "--tokenizer", required = true,
      description = "OLMo tokenizer.json, or embedded:tokenizer (built from GPT-NeoX-20B's)")
  String tokenizer;

  @Option(names = "--output", required = true, description = "Output directory")
  Path output;

  @Parameters(arity = "1..*", description = "Input files")
  List<Path> inputs;

  @Override
  public Integer call() throws IOException {
    Path tok = EmbeddedCorpus.isEmbedded(tokenizer)
        ? EmbeddedCorpus.atDefaultCache().resolve(tokenizer) : Path.of(tokenizer);
    DataPreparer.Summary s = new DataPreparer(tok).prepare(inputs, output);
    System.out.printf("wrote %d documents, %d tokens (%s) to %s: %s%n",
        s.documents(), s.tokens(), s.dtype().yamlName(), output, s.files());
    return 0;
  }
}
