package org.olmo4j.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One global batch on the host: {@code size} instances of {@code seqLen} token ids, row-major.
 *
 * @param labelMask one flag per token (true = counts in the loss), or null for all tokens
 * @param instanceMask one flag per instance (false = masked out of the loss by the instance
 *     filter, as OLMo's {@code instance_mask}), or null for all instances
 */
public record Batch(long[] tokens, boolean[] labelMask, int size, int seqLen, boolean[] instanceMask) {

  public Batch {
    if (tokens.length != (long) size * seqLen) {
      throw new IllegalArgumentException("batch of " + size + "×" + seqLen + " has " + tokens.length + " tokens");
    }
    if (labelMask != null && labelMask.length != tokens.length) {
      throw new IllegalArgumentException("label mask length " + labelMask.length + " ≠ " + tokens.length);
    }
    if (instanceMask != null && instanceMask.length != size) {
      throw new IllegalArgumentException("instance mask length " + instanceMask.length + " ≠ " + size);
    }
  }

  /** A batch without an instance filter. */
  public Batch(long[] tokens, boolean[] labelMask, int size, int seqLen) {
    this(tokens, labelMask, size, seqLen, null);
  }

  /** Instances the instance filter masked out of the loss. */
  public int maskedInstances() {
    int n = 0;
    if (instanceMask != null) {
      for (boolean keep : instanceMask) {
        n += keep ? 0 : 1;
      }
    }
    return n;
  }

  /**
   * The per-token flags the loss uses: the label mask with every token of a masked instance off
   * (OLMo sets their labels to -100); null when every token counts.
   */
  public boolean[] lossMask() {
    if (maskedInstances() == 0) {
      return labelMask;
    }
    boolean[] m = new boolean[tokens.length];
    for (int b = 0; b < size; b++) {
      if (instanceMask[b]) {
        for (int t = b * seqLen; t < (b + 1) * seqLen; t++) {
          m[t] = labelMask == null || labelMask[t];
        }
      }
    }
    return m;
  }

  /** Tokens that are predicted and count in the loss: positions 1..T-1 of each instance, masked. */
  public long labelTokens() {
    boolean[] mask = lossMask();
    if (mask == null) {
      return (long) size * (seqLen - 1);
    }
    long n = 0;
    for (int b = 0; b < size; b++) {
      for (int t = 1; t < seqLen; t++) {
        if (mask[b * seqLen + t]) {
          n++;
        }
      }
    }
    return n;
  }

  /** This batch cut into micro-batches of at most {@code microBatchSize} instances, in order. */
  public List<Batch> split(int microBatchSize) {
    List<Batch> out = new ArrayList<>();
    for (int from = 0; from < size; from += microBatchSize) {
      out.add(slice(from, Math.min(microBatchSize, size - from)));
    }
    return out;
  }

  /** Instances {@code [from, from + count)} as their own batch (a micro-batch). */
  public Batch slice(int from, int count) {
    long[] t = Arrays.copyOfRange(tokens, from * seqLen, (from + count) * seqLen);
    boolean[] m = labelMask == null ? null
        : Arrays.copyOfRange(labelMask, from * seqLen, (from + count) * seqLen);
    boolean[] i = instanceMask == null ? null : Arrays.copyOfRange(instanceMask, from, from + count);
    return new Batch(t, m, count, seqLen, i);
  }
}
