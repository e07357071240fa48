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
    Labels labels = labels(ids, labelMask, step);
    Rope.Tables tab = rope.tables(Math.toIntExact(ids.getShape().get(1)));
    NDList in = new NDList(ids, labels.weight(), tab.cos(), tab.sin());
    for (Architecture.Param p : arch.params()) {
      // A view named "w.NAME" joins DJL's Dict[str, Tensor] argument under key NAME.
      in.add(named(p.spec().name(), param.apply(p.spec().name()), step));
    }
    unoptimized();
    NDList out = module.forward(new ParameterStore(step, false), in, true);
    return new LossTerms(out.get(0), zLoss ? out.get(1) : null, labels.tokens());
  }

  /**
   * Block {@code layer} on the residual stream {@code x [B, T, D]} (fp32), recorded when
   * recording is on; only that block's parameters need to exist.
   */
  NDArray block(int layer, NDArray x, NDManager step) {
    Rope.Tables tab = rope.tables(Math.toIntExact(x.getShape().get(1)));
    NDList in = new NDList(x, x, tab.cos(), tab.sin());
    for (String name : blockParams(layer)) {
      in.add(named(name, param.apply(name), step));
    }
    in.add(named("olmo4j.block", step.create(new long[] {layer}), step));
    in.add(named("olmo4j.x", x, step));
    unoptimized();
    return module.forward(new ParameterStore(step, false), in, true).get(0);
  }

  /**
   * The loss terms of the last block's output {@code x}: final norm, LM head, cross-entropy and
   * z-loss, as {@link #lossTerms} computes them after the blocks.
   */
  LossTerms headLoss(NDArray x, NDArray ids, NDArray labelMask, boolean zLoss, NDManager step) {
    long t = ids.getShape().get(1);
    Labels labels = labels(ids, labelMask, step);
    Rope.Tables tab = rope.tables(Math.toIntExact(t));
    NDList in = new NDList(ids, labels.weight(), tab.cos(), tab.sin());
    if (arch.finalNorm() != null) {
      in.add(named(arch.finalNorm(), param.apply(arch.finalNorm()), step));
    }
    in.add(named(arch.head(), param.apply(arch.head()), step));
    in.add(named("olmo4j.head", step.create(new long[] {1}), step));
    in.add(named("olmo4j.x", x, step));
    unoptimized();
    NDList out = module.forward(new ParameterStore(step, false), in, true);
    return new LossTerms(out.get(0), zLoss ? out.get(1) : null, labels.tokens());
  }

  /** Logits [B, T, V] (fp32) of the last block's output {@code x}: final norm and LM head. */
  NDArray headLogits(NDArray x, NDManager step) {
    Rope.Tables tab = rope.tables(Math.toIntExact(x.getShape().get(1)));
    NDList in = new NDList(x, x, tab.cos(), tab.sin());
    if (arch.finalNorm() != null) {
      in.add(named(arch.finalNorm(), param.apply(arch.finalNorm()), step));
    }
    in.add(named(arch.head(), param.apply(arch.head()), step));
    in.add(named("olmo4j.logits", step.create(new long[] {1}), step));
    in.add(named("olmo4j.x", x, step));
    unoptimized();
    return module.forward(new ParameterStore(step, false), in, true).get(0);
  }

  private java.util.List<String> blockParams(int layer) {
    String prefix = "model.layers." + layer + ".";
    return arch.params().stream().map(p -> p.spec().name()).filter(n -> n.startsWith(prefix))
        .toList();
  }

  /** A view of {@code a} named {@code w.NAME}: DJL passes it in the module's dict under NAME. */
  private static NDArray named(String name, NDArray a, NDManager step) {
    NDArray view = a.get(step, new NDIndex("..."));
    view.setName("w." + name);
    return view;
  }

  /** The label weights [B, T-1] of the positions that count, and their number. */
  private record Labels(NDArray weight, long tokens) {}

  private static Labels labels(NDArray ids, NDArray labelMask, NDManager step) {
    long b = ids.getShape().get(0);
    long t = ids.getShape().get(1);
    if (t < 2) {
      throw new IllegalArgumentException("a causal LM loss needs at least 2 tokens, got T = " + t);
    }
    if (labelMask == null) {
      return new Labels(step.ones(new Shape(b, t - 1), DataType.FLOAT32), b * (t - 1));
    }
    NDArray keep = labelMask.get(step, new NDIndex(":, 1:"));
    NDArray counted = keep.getDataType() == DataType.BOOLEAN ? keep : keep.neq(0);
    long tokens = counted.toType(DataType.INT64, false).sum().getLong();
    return new Labels(counted.toType(DataType.FLOAT32, false), tokens);
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
