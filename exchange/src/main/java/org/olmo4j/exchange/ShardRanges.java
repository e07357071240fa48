package org.olmo4j.exchange;

/**
 * The flat range each rank owns: rank r holds {@code [r·S, min((r+1)·S, Ψ))} with
 * {@code S = ceil(Ψ / N)}; the last shards may be short or empty.
 */
public record ShardRanges(long total, int worldSize) {

  public ShardRanges {
    if (total < 0) {
      throw new IllegalArgumentException("total elements must be >= 0, got " + total);
    }
    if (worldSize < 1) {
      throw new IllegalArgumentException("world size must be >= 1, got " + worldSize);
    }
  }

  /** {@code S = ceil(Ψ / N)}. */
  public long shardSize() {
    return (total + worldSize - 1) / worldSize;
  }

  public long start(int rank) {
    checkRank(rank);
    return Math.min(total, rank * shardSize());
  }

  public long end(int rank) {
    checkRank(rank);
    return Math.min(total, (rank + 1) * shardSize());
  }

  public int length(int rank) {
    return Math.toIntExact(end(rank) - start(rank));
  }

  private void checkRank(int rank) {
    if (rank < 0 || rank >= worldSize) {
      throw new IllegalArgumentException("rank " + rank + " outside world of " + worldSize);
    }
  }
}
