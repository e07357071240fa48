package org.olmo4j.checkpointer;

import java.util.List;
import java.util.Random;
import org.olmo4j.config.OptimizerConfig;
import org.olmo4j.config.OptimizerName;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.model.ParamSpec;
import org.olmo4j.optim.AdamWShard;

/** Tiny real layouts and optimizer shards filled with seeded values. */
final class TestShards {

  static final OptimizerConfig ADAMW = new OptimizerConfig(OptimizerName.ADAMW, 4e-4, 0.1,
      List.of(0.9, 0.95), 1e-5, false, false);

  private TestShards() {}

  /** Embedding, a linear weight and a norm: {@code 2 * hidden * vocab + hidden} elements. */
  static FlatLayout layout(int vocab, int hidden) {
    return new FlatLayout(List.of(
        new ParamSpec("model.embed_tokens.weight", new long[] {vocab, hidden}, ParamSpec.Kind.EMBEDDING),
        new ParamSpec("model.layers.0.mlp.up_proj.weight", new long[] {vocab, hidden}, ParamSpec.Kind.LINEAR),
        new ParamSpec("model.norm.weight", new long[] {hidden}, ParamSpec.Kind.NORM)));
  }

  /** Rank {@code rank}'s optimizer shard of {@code layout}, filled with values seeded by {@code seed}. */
  static AdamWShard filled(FlatLayout layout, int rank, int worldSize, long seed) {
    AdamWShard shard = new AdamWShard(layout, layout.shardRange(rank, worldSize), ADAMW);
    int n = shard.master().length;
    Random rnd = new Random(seed);
    float[][] arrays = {new float[n], new float[n], new float[n]};
    for (float[] a : arrays) {
      for (int i = 0; i < n; i++) {
        a[i] = (float) rnd.nextGaussian();
      }
    }
    shard.load(arrays[0], arrays[1], arrays[2]);
    return shard;
  }
}
