package org.olmo4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import org.olmo4j.config.ModelConfig;
import org.olmo4j.config.Precision;

/**
 * An OLMo 1 / 2 / 3 model on DJL, built from its {@link Architecture}: parameters under HF names,
 * forward to logits and the causal-LM loss terms. Forward work happens inside a {@link StepScope}.
 */
public final class OlmoModel implements AutoCloseable {

  private final ModelConfig cfg;
  private final Architecture arch;
  private final FlatLayout layout;
  private final DataType dtype;
  private final NDManager manager;
  private final Map<String, NDArray> params = new LinkedHashMap<>();
  private final Transformer transformer;
  private final NDArray head;
  private final FlatParams flat;
  /** The amp_bf16 compute path, or null: fp32 / fp64 DJL ops. */
  private final Bf16Compute bf16;
  private StepScope active;

  private OlmoModel(ModelConfig cfg, NDManager manager, DataType dtype, boolean bf16Compute) {
    this.cfg = cfg;
    this.arch = Architecture.of(cfg);
    this.layout = arch.layout();
    this.dtype = dtype;
    this.manager = manager;
    for (ParamSpec p : layout.params()) {
      NDArray a = manager.zeros(new Shape(p.shape()), dtype);
      a.setName(p.name());
      a.setRequiresGradient(true);
      params.put(p.name(), a);
    }
    this.flat = new FlatParams(layout, new ArrayList<>(params.values()));
    // One compute path per model: DJL ops (fp32 / fp64) or the bf16 TorchScript module.
    this.transformer = bf16Compute ? null : new Transformer(arch, this::param, manager, dtype);
    this.head = param(arch.head());
    this.bf16 = bf16Compute ? new Bf16Compute(arch, this::param, manager) : null;
  }

  /** A zero-initialised model (FLOAT32, or FLOAT64 for gradient checks) in a sub-manager. */
  public static OlmoModel create(ModelConfig cfg, NDManager parent, DataType dtype) {
    if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT64) {
      throw new IllegalArgumentException("model dtype must be FLOAT32 or FLOAT64, got " + dtype);
    }
    return new OlmoModel(cfg, parent.newSubManager(), dtype, false);
  }

  /**
   * A zero-initialised fp32 model computing as {@code precision} says: {@code fp32} in DJL ops;
   * {@code amp_bf16} with matmuls and attention in bf16 (see {@link Bf16Compute}).
   */
  public static OlmoModel create(ModelConfig cfg, NDManager parent, Precision precision) {
    return new OlmoModel(cfg, parent.newSubManager(), DataType.FLOAT32,
        precision == Precision.AMP_BF16);
  }

  public ModelConfig config() {
    return cfg;
  }

  public Architecture architecture() {
    return arch;
  }

  public FlatLayout layout() {
    return layout;
  }

  public DataType dataType() {
    return dtype;
  }

  public NDArray param(String name) {
    NDArray a = params.get(name);
    if (a == null) {
      throw new IllegalArgumentException("no parameter named " + name);
    }
    return a;
  }

  /** Opens the scope for one step; only one may be open at a time. */
  public StepScope newStepScope() {
    if (active != null) {
      throw new IllegalStateException("a StepScope is already open for this model");
    }
    NDManager step = manager.newSubManager();
    step.tempAttachAll(params.values().toArray(new NDArray[0]));
    active = new StepScope(this, step);
    return active;
  }

  void scopeClosed(StepScope scope) {
    if (active == scope) {
      active = null;
    }
  }

  /** {@code inputIds [B, T]} INT64 → logits {@code [B, T, embedding_size]}. */
  public NDArray logits(NDArray inputIds) {
    NDManager step = stepManager();
    NDArray ids = local(inputIds, step);
    if (bf16 != null) {
      return bf16.logits(ids, step);
    }
    return Linear.linear(transformer.hidden(ids), head).singletonOrThrow();
  }

  /**
   * OLMo's causal-LM loss terms for one micro-batch; the caller forms
   * {@code (ceSum + multiplier·zSum) / batchTokens} and runs backward.
   *
   * @param labelMask nullable {@code [B, T]}, BOOLEAN or FLOAT; the label position's entry counts
   */
  public LossTerms lossTerms(NDArray inputIds, NDArray labelMask, boolean zLoss) {
    NDManager step = stepManager();
    NDArray ids = local(inputIds, step);
    if (labelMask != null && !labelMask.getShape().equals(inputIds.getShape())) {
      throw new IllegalArgumentException("label mask shape " + labelMask.getShape()
          + " does not match input ids " + inputIds.getShape());
    }
    if (bf16 != null) {
      return bf16.lossTerms(ids, labelMask, zLoss, step);
    }
    return CausalLmLoss.terms(transformer.hidden(ids), head, ids, labelMask, zLoss, step);
  }

  /** Loads the whole Ψ vector (layout order) into the parameters. */
  public void setParams(float[] flat) {
    this.flat.load(flat);
  }

  /**
   * As {@link #setParams(float[])} without a copy: the parameters become views of {@code flat},
   * which must stay open until this model is closed or loaded from elsewhere.
   */
  public void setParams(FlatVector flat) {
    this.flat.load(flat);
  }

  /** As {@link #setParams(float[])}, for fp64 gradient checks (narrowed for fp32 models). */
  public void setParams(double[] flat) {
    this.flat.load(flat);
  }

  /** Copies the parameters into {@code dst} (Ψ elements, layout order). */
  public void readParams(float[] dst) {
    flat.readValues(dst);
  }

  /** The accumulated gradient, flat in layout order (zeros where no backward ran). */
  public void readGrads(float[] dst) {
    flat.readGrads(dst);
  }

  /** As {@link #readGrads(float[])} into a vector. */
  public void readGrads(FlatVector dst) {
    flat.readGrads(dst);
  }

  public void readGrads(double[] dst) {
    flat.readGrads(dst);
  }

  /** Clears accumulated gradients (backward adds into them, as in PyTorch). */
  public void zeroGrads() {
    for (NDArray p : params.values()) {
      JniUtils.zeroGrad((PtNDArray) p);
    }
  }

  @Override
  public void close() {
    if (active != null) {
      active.close();
    }
    if (bf16 != null) {
      bf16.close();
    }
    manager.close();
  }

  private NDManager stepManager() {
    if (active == null) {
      throw new IllegalStateException("run the forward inside newStepScope()");
    }
    return active.manager();
  }

  /** Validates ids and returns a view owned by the step, so results of ops on it land there. */
  private NDArray local(NDArray ids, NDManager step) {
    Shape s = ids.getShape();
    if (ids.getDataType() != DataType.INT64 || s.dimension() != 2) {
      throw new IllegalArgumentException(
          "input ids must be INT64 [B, T], got " + ids.getDataType() + " " + s);
    }
    if (s.get(1) < 1 || s.get(1) > cfg.maxSequenceLength()) {
      throw new IllegalArgumentException("sequence length " + s.get(1)
          + " outside [1, max_sequence_length = " + cfg.maxSequenceLength() + "]");
    }
    return ids.getManager() == step ? ids : ids.get(step, new NDIndex(":"));
  }
}
