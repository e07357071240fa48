package org.olmo4j.data;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.olmo4j.config.MemmapDtype;

/**
 * Writes token ids as OLMo memmap files ({@code PREFIX-00000.npy}, headerless little-endian),
 * starting a new file every {@code maxTokensPerFile} tokens. Each file is written under a
 * {@code .tmp} name and renamed into place when complete.
 */
public final class TokenFileWriter implements AutoCloseable {
  /** A finished file and its token count. */
  public record Part(Path path, long tokens) {}

  private final Path dir;
  private final String prefix;
  private final MemmapDtype dtype;
  private final long maxTokensPerFile;
  private final List<Part> parts = new ArrayList<>();
  private OutputStream out;
  private Path tmp;
  private long tokensInFile;
  private long totalTokens;

  public TokenFileWriter(Path dir, String prefix, MemmapDtype dtype, long maxTokensPerFile) {
    if (maxTokensPerFile <= 0) {
      throw new IllegalArgumentException("maxTokensPerFile must be positive: " + maxTokensPerFile);
    }
    this.dir = dir;
    this.prefix = prefix;
    this.dtype = dtype;
    this.maxTokensPerFile = maxTokensPerFile;
  }

  /** The narrowest dtype holding every id below {@code vocabSize}. */
  public static MemmapDtype dtypeFor(int vocabSize) {
    return vocabSize <= 1 << 16 ? MemmapDtype.UINT16 : MemmapDtype.UINT32;
  }

  public void append(int[] ids) {
    for (int id : ids) {
      append(id);
    }
  }

  public void append(int id) {
    try {
      if (out == null || tokensInFile == maxTokensPerFile) {
        finishFile();
        tmp = dir.resolve(partName(parts.size()) + ".tmp");
        out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16);
      }
      out.write(id);
      out.write(id >>> 8);
      if (dtype == MemmapDtype.UINT32) {
        out.write(id >>> 16);
        out.write(id >>> 24);
      }
      tokensInFile++;
      totalTokens++;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write token file " + tmp, e);
    }
  }

  public long totalTokens() {
    return totalTokens;
  }

  public MemmapDtype dtype() {
    return dtype;
  }

  /** Finishes the last file and returns all files written, in order. */
  public List<Part> finish() {
    try {
      finishFile();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write token file " + tmp, e);
    }
    return List.copyOf(parts);
  }

  /** Stops writing and deletes the unfinished file; finished files stay. */
  public void abort() {
    try {
      if (out != null) {
        out.close();
        out = null;
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove unfinished token file " + tmp, e);
    }
  }

  @Override
  public void close() {
    finish();
  }

  private String partName(int index) {
    return String.format("%s-%05d.npy", prefix, index);
  }

  private void finishFile() throws IOException {
    if (out == null) {
      return;
    }
    out.close();
    out = null;
    Path target = dir.resolve(partName(parts.size()));
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    parts.add(new Part(target, tokensInFile));
    tokensInFile = 0;
  }
}
