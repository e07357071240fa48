package org.olmo4j.train;

import org.olmo4j.model.FlatVector;

/**
 * The whole world of a HYBRID_SHARD rank seen through its two groups, for the step's scalar sums
 * (loss terms, tokens, votes): summed over the shard group, then over the replica group. Each
 * sum is in rank order, so every rank gets the same bits (a different association than one sum
 * over the world: (r0+r1)+(r2+r3)). Vector collectives belong to the groups themselves.
 */
final class HybridWorld implements Collectives {

  private final Collectives shard;
  private final Collectives replicas;

  HybridWorld(Collectives shard, Collectives replicas) {
    this.shard = shard;
    this.replicas = replicas;
  }

  @Override
  public int rank() {
    return replicas.rank() * shard.worldSize() + shard.rank();
  }

  @Override
  public int worldSize() {
    return shard.worldSize() * replicas.worldSize();
  }

  @Override
  public double[] allReduceSum(double[] values) {
    return replicas.allReduceSum(shard.allReduceSum(values));
  }

  @Override
  public void reduceScatter(FlatVector full, float[] myShard) {
    throw new UnsupportedOperationException("HYBRID_SHARD reduce-scatters inside its groups");
  }

  @Override
  public void allGatherInPlace(FlatVector full) {
    throw new UnsupportedOperationException("HYBRID_SHARD all-gathers inside its shard group");
  }
}
