package org.olmo4j.data;

/**
 * Reads runs of consecutive global positions as token rows: the instances a rank or a whole global
 * batch trains on, in the order given by a {@link GlobalOrder}.
 */
public final class BatchReader {
  private final TokenDataset dataset;
  private final GlobalOrder order;

  public BatchReader(TokenDataset dataset, GlobalOrder order) {
    this.dataset = dataset;
    this.order = order;
  }

  public TokenDataset dataset() {
    return dataset;
  }

  public GlobalOrder order() {
    return order;
  }

  /** Token rows of global positions {@code position .. position + count - 1}. */
  public long[][] instances(long position, int count) {
    long[][] rows = new long[count][dataset.seqLen()];
    for (int i = 0; i < count; i++) {
      dataset.readInstance(order.instanceAt(position + i), rows[i]);
    }
    return rows;
  }

  /**
   * The same rows flattened row-major into {@code dst} ({@code count * seqLen} entries), ready to
   * become an INT64 {@code [count, seqLen]} tensor.
   */
  public void fill(long position, int count, long[] dst) {
    int seqLen = dataset.seqLen();
    checkLength(dst.length, count, seqLen);
    for (int i = 0; i < count; i++) {
      dataset.readInstance(order.instanceAt(position + i), dst, i * seqLen);
    }
  }

  /** A new flat {@code [count * seqLen]} array of the rows at {@code position}. */
  public long[] flat(long position, int count) {
    long[] dst = new long[Math.multiplyExact(count, dataset.seqLen())];
    fill(position, count, dst);
    return dst;
  }

  /** The label masks of the same rows, flattened row-major into {@code dst}. */
  public void fillMask(long position, int count, boolean[] dst) {
    int seqLen = dataset.seqLen();
    checkLength(dst.length, count, seqLen);
    for (int i = 0; i < count; i++) {
      dataset.readMask(order.instanceAt(position + i), dst, i * seqLen);
    }
  }

  private static void checkLength(int length, int count, int seqLen) {
    if (length != (long) count * seqLen) {
      throw new IllegalArgumentException(
          "destination of " + length + " entries for " + count + " rows of " + seqLen);
    }
  }
}
