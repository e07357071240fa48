package org.olmo4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.olmo4j.config.ModelConfig;

/**
 * The {@code amp_bf16} compute path: the model's forward and loss as one TorchScript module
 * ({@code olmo_bf16.py}, loaded from an archive written in Java), because DJL cannot hold a
 * bf16 tensor but libtorch can inside a script. Matmuls and attention run in bf16 (fused SDPA),
 * norms / RoPE / residual / loss in fp32; autograd runs through the script back to the fp32
 * parameters, so gradients arrive in fp32 as in the fp32 path.
 */
final class Bf16Compute implements AutoCloseable {

  private static final String SOURCE = "olmo_bf16.py";
  private static final String CLASS = "OlmoBf16";

  private final Architecture arch;
  private final Function<String, NDArray> param;
  private final PtSymbolBlock module;
  private final Rope rope;
  private final NDManager owner;

  Bf16Compute(Architecture arch, Function<String, NDArray> param, NDManager owner) {
    this.arch = arch;
    this.param = param;
    this.owner = owner;
    ModelConfig c = arch.config();
    this.rope = new Rope(c.headDim(), c.ropeTheta(), 1.0, owner, DataType.FLOAT32);
    byte[] archive = ScriptArchive.write(CLASS, ScriptArchive.source(SOURCE), attributes(arch));
    try {
      this.module = JniUtils.loadModule((PtNDManager) owner, new ByteArrayInputStream(archive),
          false, false);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load the bf16 TorchScript module", e);
    }
  }

  /** The summed loss terms of {@code ids} [B, T] (step-local INT64), autograd recorded. */
  LossTerms lossTerms(NDArray ids, NDArray labelMask, boolean zLoss, NDManager step) {
    long b = ids.getShape().get(0);
    long t = ids.getShape().get(1);
    if (t < 2) {
      throw new IllegalArgumentException("a causal LM loss needs at least 2 tokens, got T = " + t);
    }
    NDArray weight;
    long tokens;
    if (labelMask == null) {
      weight = step.ones(new Shape(b, t - 1), DataType.FLOAT32);
      tokens = b * (t - 1);
    } else {
      NDArray keep = labelMask.get(step, new NDIndex(":, 1:"));
      NDArray counted = keep.getDataType() == DataType.BOOLEAN ? keep : keep.neq(0);
      tokens = counted.toType(DataType.INT64, false).sum().getLong();
      weight = counted.toType(DataType.FLOAT32, false);
    }
    Rope.Tables tab = rope.tables(Math.toIntExact(t));
    NDList in = new NDList(ids, weight, tab.cos(), tab.sin());
    for (Architecture.Param p : arch.params()) {
      // A view named "w.NAME" joins DJL's Dict[str, Tensor] argument under key NAME.
      NDArray view = param.apply(p.spec().name()).get(step, new NDIndex("..."));
      view.setName("w." + p.spec().name());
      in.add(view);
    }
    unoptimized();
    NDList out = module.forward(new ParameterStore(step, false), in, true);
    return new LossTerms(out.get(0), zLoss ? out.get(1) : null, tokens);
  }

  /** Logits [B, T, V] in fp32 for evaluation (no autograd). */
  NDArray logits(NDArray ids, NDManager step) {
    Rope.Tables tab = rope.tables(Math.toIntExact(ids.getShape().get(1)));
    Map<String, PtNDArray> weights = new LinkedHashMap<>();
    for (Architecture.Param p : arch.params()) {
      weights.put(p.spec().name(), (PtNDArray) param.apply(p.spec().name()));
    }
    IValue[] args = {IValue.from((PtNDArray) ids), IValue.from((PtNDArray) tab.cos()),
        IValue.from((PtNDArray) tab.sin()), IValue.stringMapFrom(weights)};
    unoptimized();
    try (IValue result = IValueUtils.runMethod(module, "logits", args)) {
      return result.toTensor((PtNDManager) step);
    } finally {
      for (IValue a : args) {
        a.close();
      }
    }
  }

  @Override
  public void close() {
    module.close();
  }

  /**
   * TorchScript's executor re-optimises a graph after its first runs (fusions that round
   * differently), so step k of a resumed run would not repeat step k of the straight run. The
   * switch is per thread in libtorch: set it on the thread that runs the module.
   */
  private static void unoptimized() {
    JniUtils.setGraphExecutorOptimize(false);
  }

  private static Map<String, Object> attributes(Architecture arch) {
    ModelConfig c = arch.config();
    Map<String, Object> a = new LinkedHashMap<>();
    a.put("n_heads", c.nHeads());
    a.put("n_kv_heads", c.kvHeads());
    a.put("head_dim", c.headDim());
    a.put("n_layers", c.nLayers());
    a.put("rms", c.layerNormType().isRms());
    a.put("affine", c.layerNormWithAffine());
    a.put("qk_norm", c.attentionLayerNorm());
    a.put("qk_affine", c.attentionLayerNormWithAffine());
    a.put("norm_after", c.normAfter());
    a.put("eps", c.layerNormEps());
    a.put("clip_qkv", c.clipQkv() == null ? 0.0 : c.clipQkv());
    a.put("windows", arch.blocks().stream().map(Architecture.Block::window).toList());
    a.put("head", arch.head());
    return a;
  }
}
