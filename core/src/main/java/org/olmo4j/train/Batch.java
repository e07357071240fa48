package org.olmo4j.train;

/**
 * One global batch on the host: {@code size} instances of {@code seqLen} token ids, row-major.
 *
 * @param labelMask one flag per token (true = counts in the loss), or null for all tokens
 */
public record Batch(long[] tokens, boolean[] labelMask, int size, int seqLen) {

  public Batch {
    if (tokens.length != (long) size * seqLen) {
      throw new IllegalArgumentException("batch of " + size + "×" + seqLen + " has " + tokens.length + " tokens");
    }
    if (labelMask != null && labelMask.length != tokens.length) {
      throw new IllegalArgumentException("label mask length " + labelMask.length + " ≠ " + tokens.length);
    }
  }

  /** Tokens that are predicted and count in the loss: positions 1..T-1 of each instance, masked. */
  public long labelTokens() {
    if (labelMask == null) {
      return (long) size * (seqLen - 1);
    }
    long n = 0;
    for (int b = 0; b < size; b++) {
      for (int t = 1; t < seqLen; t++) {
        if (labelMask[b * seqLen + t]) {
          n++;
        }
      }
    }
    return n;
  }

  /** This batch cut into micro-batches of at most {@code microBatchSize} instances, in order. */
  public java.util.List<Batch> split(int microBatchSize) {
    java.util.List<Batch> out = new java.util.ArrayList<>();
    for (int from = 0; from < size; from += microBatchSize) {
      out.add(slice(from, Math.min(microBatchSize, size - from)));
    }
    return out;
  }

  /** Instances {@code [from, from + count)} as their own batch (a micro-batch). */
  public Batch slice(int from, int count) {
    long[] t = java.util.Arrays.copyOfRange(tokens, from * seqLen, (from + count) * seqLen);
    boolean[] m = labelMask == null ? null
        : java.util.Arrays.copyOfRange(labelMask, from * seqLen, (from + count) * seqLen);
    return new Batch(t, m, count, seqLen);
  }
}
