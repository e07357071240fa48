package org.olmo4j.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.olmo4j.config.MemmapDtype;

/**
 * OLMo's memmap dataset: token files cut into instances of {@code seqLen} tokens (the tail of each
 * file is dropped), indexed globally over the files in order, with optional label-mask files.
 */
public final class TokenDataset implements AutoCloseable {
  private final List<MappedArray> tokens;
  private final List<MappedArray> masks;
  private final int seqLen;
  private final int vocabSize;
  /** {@code starts[i]} is the global index of file i's first instance; last entry is the total. */
  private final long[] starts;

  private TokenDataset(List<MappedArray> tokens, List<MappedArray> masks, int seqLen, int vocabSize) {
    this.tokens = tokens;
    this.masks = masks;
    this.seqLen = seqLen;
    this.vocabSize = vocabSize;
    this.starts = new long[tokens.size() + 1];
    for (int i = 0; i < tokens.size(); i++) {
      starts[i + 1] = starts[i] + tokens.get(i).length() / seqLen;
    }
  }

  /**
   * Maps {@code files} (and the parallel {@code maskFiles}, one bool byte per token, or null).
   *
   * @throws DataException naming the file for a missing file, a size that is not a whole number of
   *     elements, a mask whose length differs from its token file, or an empty corpus
   */
  public static TokenDataset open(
      List<Path> files, MemmapDtype dtype, int seqLen, int vocabSize,
      List<Path> maskFiles) {
    if (seqLen <= 0 || vocabSize <= 0) {
      throw new IllegalArgumentException("seqLen and vocabSize must be positive: " + seqLen + ", " + vocabSize);
    }
    if (files.isEmpty()) {
      throw new DataException("no token files given");
    }
    if (maskFiles != null && maskFiles.size() != files.size()) {
      throw new DataException(
          maskFiles.size() + " label mask files for " + files.size() + " token files: " + maskFiles);
    }
    List<MappedArray> tokens = new ArrayList<>();
    List<MappedArray> masks = maskFiles == null ? null : new ArrayList<>();
    for (int i = 0; i < files.size(); i++) {
      MappedArray t = MappedArray.open(files.get(i), width(dtype), "token file");
      tokens.add(t);
      if (masks != null) {
        MappedArray m = MappedArray.open(maskFiles.get(i), 1, "label mask file");
        if (m.length() != t.length()) {
          throw new DataException(
              "label mask file " + m.path() + " has " + m.length() + " entries but token file "
                  + t.path() + " has " + t.length() + " tokens");
        }
        masks.add(m);
      }
    }
    TokenDataset ds = new TokenDataset(tokens, masks, seqLen, vocabSize);
    if (ds.numInstances() == 0) {
      throw new DataException(
          "no instance of " + seqLen + " tokens in token files " + files + " (each is shorter)");
    }
    return ds;
  }

  static int width(MemmapDtype dtype) {
    return dtype == MemmapDtype.UINT16 ? 2 : 4;
  }

  public long numInstances() {
    return starts[starts.length - 1];
  }

  public int seqLen() {
    return seqLen;
  }

  public boolean hasLabelMasks() {
    return masks != null;
  }

  /** Copies instance {@code index} into {@code dst[0..seqLen)}. */
  public void readInstance(long index, long[] dst) {
    readInstance(index, dst, 0);
  }

  /**
   * Copies instance {@code index} into {@code dst[offset..offset+seqLen)}.
   *
   * @throws DataException naming the file and token offset of an id {@code >= vocabSize}
   */
  public void readInstance(long index, long[] dst, int offset) {
    int file = fileOf(index);
    MappedArray t = tokens.get(file);
    long first = (index - starts[file]) * seqLen;
    t.read(first, dst, offset, seqLen);
    for (int i = 0; i < seqLen; i++) {
      if (dst[offset + i] >= vocabSize) {
        throw new DataException(
            "token file " + t.path() + ": token id " + dst[offset + i] + " at token offset "
                + (first + i) + " is not below vocab_size " + vocabSize);
      }
    }
  }

  /** Copies the label mask of instance {@code index} into {@code dst[offset..offset+seqLen)}. */
  public void readMask(long index, boolean[] dst, int offset) {
    if (masks == null) {
      throw new IllegalStateException("dataset has no label mask files");
    }
    int file = fileOf(index);
    MappedArray m = masks.get(file);
    long first = (index - starts[file]) * seqLen;
    long[] flags = new long[seqLen];
    m.read(first, flags, 0, seqLen);
    for (int i = 0; i < seqLen; i++) {
      dst[offset + i] = flags[i] != 0;
    }
  }

  /** Copies the label mask of instance {@code index} into {@code dst[0..seqLen)}. */
  public void readMask(long index, boolean[] dst) {
    readMask(index, dst, 0);
  }

  private int fileOf(long index) {
    if (index < 0 || index >= numInstances()) {
      throw new IndexOutOfBoundsException("instance " + index + " of " + numInstances());
    }
    int pos = Arrays.binarySearch(starts, index);
    // An exact hit may land on an empty file whose start equals the next file's; skip past them.
    if (pos >= 0) {
      while (starts[pos + 1] == index) {
        pos++;
      }
      return pos;
    }
    return -pos - 2;
  }

  /** Throws naming the first token or mask file that no longer has the bytes that were mapped. */
  public void checkIntact() {
    tokens.forEach(MappedArray::checkIntact);
    if (masks != null) {
      masks.forEach(MappedArray::checkIntact);
    }
  }

  /** Unmapping happens when the buffers are collected; this drops the references. */
  @Override
  public void close() {
    tokens.clear();
    if (masks != null) {
      masks.clear();
    }
  }
}
