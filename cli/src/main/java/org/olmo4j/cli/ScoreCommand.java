package org.olmo4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.olmo4j.model.LossTerms;
import org.olmo4j.model.OlmoModel;
import org.olmo4j.model.StepScope;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code olmo4j score MODEL_DIR TOKENS_FILE}: mean next-token cross-entropy of a token sequence,
 * scored in windows of max_sequence_length that overlap by one token so every token but the
 * first is predicted exactly once.
 */
@Command(name = "score", mixinStandardHelpOptions = true,
    description = "Print {\"tokens\": N, \"loss\": L}: mean next-token cross-entropy of the token ids.")
final class ScoreCommand implements Callable<Integer> {

  @Parameters(index = "0", description = "Exported HF directory, checkpoint directory or save folder")
  Path modelDir;

  @Parameters(index = "1", description = "File of whitespace-separated token ids")
  Path tokensFile;

  @Override
  public Integer call() throws IOException {
    ModelSource src = ModelSource.open(modelDir);
    long[] ids = readTokens(tokensFile, src.config().paddedVocabSize());
    int window = src.config().maxSequenceLength();
    double ceSum = 0;
    long predicted = 0;
    try (NDManager manager = NDManager.newBaseManager();
        OlmoModel model = OlmoModel.create(src.config(), manager, DataType.FLOAT32)) {
      model.setParams(src.params());
      for (int start = 0; start < ids.length - 1; start += window - 1) {
        int len = Math.min(window, ids.length - start);
        long[] chunk = java.util.Arrays.copyOfRange(ids, start, start + len);
        try (StepScope scope = model.newStepScope()) {
          NDArray x = scope.manager().create(chunk, new Shape(1, len));
          LossTerms t = model.lossTerms(x, null, false);
          ceSum += t.ceSum().toType(DataType.FLOAT64, false).getDouble();
          predicted += t.tokens();
        }
      }
    }
    System.out.printf(Locale.ROOT, "{\"tokens\": %d, \"loss\": %s}%n", predicted, ceSum / predicted);
    return 0;
  }

  static long[] readTokens(Path file, int vocab) throws IOException {
    String[] parts = Files.readString(file).trim().split("\\s+");
    if (parts.length < 2 || parts[0].isEmpty()) {
      throw new IllegalArgumentException(file + ": need at least 2 token ids to score, found "
          + (parts[0].isEmpty() ? 0 : parts.length));
    }
    long[] ids = new long[parts.length];
    for (int i = 0; i < parts.length; i++) {
      try {
        ids[i] = Long.parseLong(parts[i]);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(file + ": token " + (i + 1) + " is '" + parts[i]
            + "', expected an integer token id");
      }
      if (ids[i] < 0 || ids[i] >= vocab) {
        throw new IllegalArgumentException(file + ": token " + (i + 1) + " is " + ids[i]
            + ", outside the model's vocabulary [0, " + vocab + ")");
      }
    }
    return ids;
  }
}
