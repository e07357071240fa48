package org.olmo4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import java.util.List;
import java.util.function.Function;
import org.olmo4j.config.ModelConfig;

/** OLMo's decoder stack: embedding, blocks, final norm (up to the LM head). */
final class Transformer {

  /** The weights of one block, in HF layout {@code [out, in]}; absent norm weights are null. */
  record Block(NDArray q, NDArray k, NDArray v, NDArray o, NDArray qNorm, NDArray kNorm,
      NDArray attnNorm, NDArray mlpNorm, NDArray gate, NDArray up, NDArray down, int window) {

    static Block of(Architecture.Block b, Function<String, NDArray> param) {
      return new Block(param.apply(b.q()), param.apply(b.k()), param.apply(b.v()),
          param.apply(b.o()), orNull(b.qNorm(), param), orNull(b.kNorm(), param),
          orNull(b.attnNorm(), param), orNull(b.mlpNorm(), param), param.apply(b.gate()),
          param.apply(b.up()), param.apply(b.down()), b.window());
    }

    private static NDArray orNull(String name, Function<String, NDArray> param) {
      return name == null ? null : param.apply(name);
    }
  }

  /** Looked up per call: a FULL_SHARD model binds fresh embedding / head arrays per gather. */
  private final Function<String, NDArray> param;
  private final String finalNormName;
  private final List<Architecture.Block> blocks;
  private final boolean normAfter;
  private final Norm norm;
  private final CausalAttention attention;

  Transformer(Architecture arch, Function<String, NDArray> param, NDManager owner,
      DataType dtype) {
    ModelConfig cfg = arch.config();
    this.param = param;
    this.blocks = arch.blocks();
    this.finalNormName = arch.finalNorm();
    this.normAfter = cfg.normAfter();
    this.norm = new Norm(cfg, owner, dtype);
    this.attention = new CausalAttention(cfg, norm, owner, dtype);
  }

  /** {@code ids [B, T]} INT64 → final hidden states {@code [B, T, D]}, in {@code ids}' manager. */
  NDArray hidden(NDArray ids) {
    NDArray x = embed(ids);
    for (int i = 0; i < blocks.size(); i++) {
      x = block(i, x);
    }
    return finalNorm(x);
  }

  /** The token embeddings {@code [B, T, D]} of {@code ids}. */
  NDArray embed(NDArray ids) {
    return embed(ids, param.apply(Architecture.EMBED));
  }

  /** Rows {@code ids} of {@code weight}: the lookup of every precision (bf16-rounded rows under amp_bf16). */
  static NDArray embed(NDArray ids, NDArray weight) {
    return Embedding.embedding(ids, weight, SparseFormat.DENSE).singletonOrThrow();
  }

  /** Block {@code i} on the residual stream {@code x [B, T, D]}. */
  NDArray block(int i, NDArray x) {
    // Looked up per call, as the embedding: a FULL_SHARD model binds a block's arrays per gather.
    Block w = Block.of(blocks.get(i), param);
    if (normAfter) {
      // OLMo 2/3: the norm is inside the residual branch, after attention and after the MLP.
      x = x.add(norm.apply(attention.forward(x, w), w.attnNorm()));
      return x.add(norm.apply(SwiGlu.forward(x, w.gate(), w.up(), w.down()), w.mlpNorm()));
    }
    x = x.add(attention.forward(norm.apply(x, w.attnNorm()), w));
    return x.add(SwiGlu.forward(norm.apply(x, w.mlpNorm()), w.gate(), w.up(), w.down()));
  }

  int blockCount() {
    return blocks.size();
  }

  /** The final norm on the last block's output. */
  NDArray finalNorm(NDArray x) {
    return norm.apply(x, finalNormName == null ? null : param.apply(finalNormName));
  }
}
