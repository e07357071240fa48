package org.olmo4j.exchange;

/** Argument checks shared by the implementations: array lengths must match the shard layout. */
final class ShardArgs {

  private ShardArgs() {}

  static ShardRanges reduceScatter(int fullLength, int shardLength, int rank, int worldSize) {
    ShardRanges ranges = new ShardRanges(fullLength, worldSize);
    if (shardLength != ranges.length(rank)) {
      throw new IllegalArgumentException("reduce-scatter: rank " + rank + " of " + worldSize
          + " owns " + ranges.length(rank) + " of " + fullLength + " elements, but its shard array has "
          + shardLength);
    }
    return ranges;
  }
}
