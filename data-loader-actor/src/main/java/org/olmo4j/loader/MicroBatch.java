package org.olmo4j.loader;

import org.olmo4j.cluster.ClusterMessage;
import org.olmo4j.train.Batch;

/**
 * One micro-batch of one rank for one step: {@code rows} instances of {@code seqLen} token ids,
 * row-major, taken from global positions {@code [globalPosition, globalPosition + rows)}.
 *
 * @param index this micro-batch among the rank's {@code count} micro-batches of {@code step}
 * @param labelMask one flag per token (true = counts in the loss), or null for all tokens
 * @param instanceMask one flag per row (false = masked by the instance filter), or null for all
 * @param unreadable null; else this is no data but the last element of the stream: the data of
 *     {@code step} cannot be read, and why (naming the file)
 */
public record MicroBatch(long step, int index, int count, long globalPosition, int rows, int seqLen,
    long[] tokens, boolean[] labelMask, boolean[] instanceMask, String unreadable)
    implements ClusterMessage {

  public MicroBatch {
    if (index < 0 || index >= count) {
      throw new IllegalArgumentException("micro-batch index " + index + " of " + count);
    }
    if (unreadable == null) {
      new Batch(tokens, labelMask, rows, seqLen, instanceMask); // checks the shape
    }
  }

  /** A micro-batch of data. */
  public MicroBatch(long step, int index, int count, long globalPosition, int rows, int seqLen,
      long[] tokens, boolean[] labelMask, boolean[] instanceMask) {
    this(step, index, count, globalPosition, rows, seqLen, tokens, labelMask, instanceMask, null);
  }

  /** The stream's last element when the data of {@code step} cannot be read: {@code why}. */
  public static MicroBatch unreadable(long step, String why) {
    return new MicroBatch(step, 0, 1, -1, 0, 0, new long[0], null, null, why);
  }

  /** False for the {@link #unreadable(long, String)} element. */
  public boolean readable() {
    return unreadable == null;
  }

  /** The rows as a host batch, sharing this micro-batch's arrays. */
  public Batch toBatch() {
    return new Batch(tokens, labelMask, rows, seqLen, instanceMask);
  }
}
