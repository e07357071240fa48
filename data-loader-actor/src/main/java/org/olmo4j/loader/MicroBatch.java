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
 */
public record MicroBatch(long step, int index, int count, long globalPosition, int rows, int seqLen,
    long[] tokens, boolean[] labelMask, boolean[] instanceMask) implements ClusterMessage {

  public MicroBatch {
    if (index < 0 || index >= count) {
      throw new IllegalArgumentException("micro-batch index " + index + " of " + count);
    }
    new Batch(tokens, labelMask, rows, seqLen, instanceMask); // checks the shape
  }

  /** The rows as a host batch, sharing this micro-batch's arrays. */
  public Batch toBatch() {
    return new Batch(tokens, labelMask, rows, seqLen, instanceMask);
  }
}
