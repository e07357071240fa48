package org.olmo4j.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.olmo4j.config.MemmapDtype;
import org.olmo4j.tokenizer.OlmoTokenizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine of {@code olmo4j prepare-data}: tokenizes text inputs (see {@link DocumentFiles}),
 * appends EOS after each document and writes OLMo memmap files {@code part-NNNNN.npy} plus a
 * {@code manifest.json} into an output directory.
 */
public final class DataPreparer {
  private static final Logger LOG = LoggerFactory.getLogger(DataPreparer.class);
  /** Default file size limit: 2^30 tokens (2 GiB as uint16). */
  public static final long DEFAULT_MAX_TOKENS_PER_FILE = 1L << 30;

  /** What was written. */
  public record Summary(
      List<Path> inputs, long documents, long tokens, MemmapDtype dtype, List<Path> files,
      Path manifest) {}

  private final Path tokenizerJson;
  private final long maxTokensPerFile;

  public DataPreparer(Path tokenizerJson, long maxTokensPerFile) {
    this.tokenizerJson = tokenizerJson;
    this.maxTokensPerFile = maxTokensPerFile;
  }

  public DataPreparer(Path tokenizerJson) {
    this(tokenizerJson, DEFAULT_MAX_TOKENS_PER_FILE);
  }

  /** Tokenizes {@code inputs} in order into {@code outDir} (created if needed). */
  public Summary prepare(List<Path> inputs, Path outDir) {
    if (inputs.isEmpty()) {
      throw new DataException("no input files given");
    }
    for (Path input : inputs) {
      if (!Files.isRegularFile(input)) {
        throw new DataException("input " + input + " does not exist or is not a file");
      }
      if (!DocumentFiles.isSupported(input)) {
        throw new DataException("input " + input
            + ": unsupported file type (expected .txt, .jsonl, .jsonl.gz or .json.gz)");
      }
    }
    try (OlmoTokenizer tokenizer = OlmoTokenizer.load(tokenizerJson)) {
      Files.createDirectories(outDir);
      MemmapDtype dtype = TokenFileWriter.dtypeFor(tokenizer.vocabSize());
      TokenFileWriter writer = new TokenFileWriter(outDir, "part", dtype, maxTokensPerFile);
      DocumentEncoder encoder = new DocumentEncoder(tokenizer, writer);
      try {
        for (Path input : inputs) {
          LOG.info("reading {}", input);
          DocumentFiles.read(input, encoder::add);
        }
        encoder.flush();
      } catch (RuntimeException e) {
        writer.abort();
        throw e;
      }
      encoder.logProgress();
      List<Path> files = writer.finish().stream().map(TokenFileWriter.Part::path).toList();
      Path manifest = writeManifest(outDir, inputs, encoder, dtype, files);
      LOG.info("wrote {} tokens of {} documents to {} files in {}",
          writer.totalTokens(), encoder.documents(), files.size(), outDir);
      return new Summary(List.copyOf(inputs), encoder.documents(), writer.totalTokens(), dtype,
          files, manifest);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write to " + outDir, e);
    }
  }

  private Path writeManifest(Path outDir, List<Path> inputs, DocumentEncoder encoder,
      MemmapDtype dtype, List<Path> files) throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("inputs", inputs.stream().map(Path::toString).toList());
    m.put("documents", encoder.documents());
    m.put("tokens", encoder.tokens());
    m.put("dtype", dtype.yamlName());
    m.put("files", files.stream().map(f -> f.getFileName().toString()).toList());
    m.put("tokenizer", tokenizerJson.toString());
    m.put("tokenizer_sha256", Sha256.of(tokenizerJson));
    Path manifest = outDir.resolve("manifest.json");
    Path tmp = outDir.resolve("manifest.json.tmp");
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(tmp.toFile(), m);
    Files.move(tmp, manifest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    return manifest;
  }
}
