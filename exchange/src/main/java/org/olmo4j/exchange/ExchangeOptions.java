package org.olmo4j.exchange;

import java.time.Duration;

/**
 * Tuning of an exchange.
 *
 * @param timeout longest a call (or the join of a world) waits for its peers before failing
 * @param chunkBytes payload bytes per frame on the bulk channel, and the granularity of the
 *     reduce-scatter sum; 256 KiB keeps a received frame in L2 (1 MiB per core on the EPYC
 *     machines measured) until it is summed: the best of 128 KiB … 4 MiB in {@code bench exchange}
 */
public record ExchangeOptions(Duration timeout, int chunkBytes) {

  public static final ExchangeOptions DEFAULTS = new ExchangeOptions(Duration.ofSeconds(30), 256 << 10);

  public ExchangeOptions {
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive, got " + timeout);
    }
    if (chunkBytes < 64 || chunkBytes % 8 != 0) {
      throw new IllegalArgumentException(
          "chunkBytes must be a multiple of 8 and >= 64, got " + chunkBytes);
    }
  }

  public ExchangeOptions withTimeout(Duration t) {
    return new ExchangeOptions(t, chunkBytes);
  }

  public ExchangeOptions withChunkBytes(int bytes) {
    return new ExchangeOptions(timeout, bytes);
  }
}
