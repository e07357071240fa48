package org.olmo4j.exchange;

import org.olmo4j.model.ShardPlan;

/**
 * The part of a vector of {@code total} elements each rank reduces into or sends from:
 * {@link ShardPlan#slice} (rank r holds {@code [r·S, min((r+1)·S, L))}, {@code S = ceil(L / N)};
 * the last parts may be short or empty). The exchange's view of that one split.
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

  public long start(int rank) {
    return ShardPlan.slice(total, rank, worldSize).start();
  }

  public long end(int rank) {
    return ShardPlan.slice(total, rank, worldSize).end();
  }

  public int length(int rank) {
    return Math.toIntExact(ShardPlan.slice(total, rank, worldSize).length());
  }
}
