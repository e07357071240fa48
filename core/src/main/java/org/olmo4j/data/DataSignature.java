package org.olmo4j.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.olmo4j.config.MemmapDtype;

/**
 * What a run's data position means: the token files (name and size, in order), their dtype, the
 * sequence length and the data order's seed; {@code fingerprint} is a SHA-256 of all of them. A
 * checkpoint records it (its {@code train_state.data}), and a run resuming that checkpoint's
 * data position on other data is refused, as OLMo-core's data loader refuses a dataset whose
 * fingerprint does not match (OLMo-core's covers the files; a changed seed it only warns of).
 * Names rather than paths, as OLMo-core's: the same files moved to another folder or machine
 * are the same data. Label masks are left out: they change which tokens count, not which
 * instance a position reads.
 *
 * @param files {@code NAME BYTES} per token file
 */
public record DataSignature(String fingerprint, String dtype, int sequenceLength, long seed,
    List<String> files) {

  public DataSignature {
    files = List.copyOf(files);
  }

  /** The signature of these (resolved, local) token files as {@code TrainData} reads them. */
  public static DataSignature of(List<Path> tokenFiles, MemmapDtype dtype, int sequenceLength,
      long seed) {
    List<String> files = new ArrayList<>();
    for (Path f : tokenFiles) {
      files.add(f.getFileName() + " " + size(f));
    }
    StringBuilder canonical = new StringBuilder("olmo4j data v1\ndtype " + dtype.yamlName()
        + "\nsequence_length " + sequenceLength + "\nseed " + seed + "\n");
    files.forEach(f -> canonical.append(f).append('\n'));
    return new DataSignature(sha256(canonical.toString()), dtype.yamlName(), sequenceLength, seed,
        files);
  }

  /**
   * The first way {@code now} differs from this signature (the saved one), named by its config
   * key, {@code saved → now}; null when the fingerprints match.
   */
  public String differenceTo(DataSignature now) {
    if (fingerprint.equals(now.fingerprint)) {
      return null;
    }
    if (!dtype.equals(now.dtype)) {
      return "data.memmap_dtype " + dtype + " → " + now.dtype;
    }
    if (sequenceLength != now.sequenceLength) {
      return "model.max_sequence_length " + sequenceLength + " → " + now.sequenceLength;
    }
    if (seed != now.seed) {
      return "data seed (data.seed, else seed) " + seed + " → " + now.seed;
    }
    for (int i = 0; i < Math.min(files.size(), now.files.size()); i++) {
      if (!files.get(i).equals(now.files.get(i))) {
        return "data.paths file " + (i + 1) + " of " + files.size() + ": "
            + describe(files.get(i)) + " → " + describe(now.files.get(i));
      }
    }
    return "data.paths " + files.size() + " files → " + now.files.size()
        + (files.size() < now.files.size()
            ? " (added " + describe(now.files.get(files.size())) + ")"
            : " (" + describe(files.get(now.files.size())) + " gone)");
  }

  /** {@code NAME BYTES} as {@code NAME (BYTES bytes)}. */
  private static String describe(String file) {
    int space = file.lastIndexOf(' ');
    return file.substring(0, space) + " (" + file.substring(space + 1) + " bytes)";
  }

  private static long size(Path f) {
    try {
      return Files.size(f);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the size of " + f + ": " + e.getMessage(), e);
    }
  }

  private static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
