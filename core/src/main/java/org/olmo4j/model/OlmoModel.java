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
  /** FULL_SHARD's unit-by-unit parameters, or null: every parameter resident. */
  private final UnitParams units;
  private StepScope active;
  /** FULL_SHARD: the gathers around each unit of an inference forward (set by the step). */
  private LayerwisePass.Units inference;

  private OlmoModel(ModelConfig cfg, NDManager manager, DataType dtype, boolean bf16Compute,
      boolean unitwise) {
    this.cfg = cfg;
    this.arch = Architecture.of(cfg);
    this.layout = arch.layout();
    this.dtype = dtype;
    this.manager = manager;
    if (unitwise) {
      this.units = new UnitParams(arch);
      this.flat = null;
    } else {
      for (ParamSpec p : layout.params()) {
        params.put(p.name(), newParam(p, manager, dtype));
      }
      this.units = null;
      this.flat = new FlatParams(layout, new ArrayList<>(params.values()));
    }
    // One compute path per model: DJL ops (fp32 / fp64) or the bf16 TorchScript module.
    this.transformer = bf16Compute ? null : new Transformer(arch, this::param, manager, dtype);
    this.head = unitwise ? null : param(arch.head());
    this.bf16 = bf16Compute ? new Bf16Compute(arch, this::param, manager) : null;
  }

  /** A zero-initialised model (FLOAT32, or FLOAT64 for gradient checks) in a sub-manager. */
  public static OlmoModel create(ModelConfig cfg, NDManager parent, DataType dtype) {
    if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT64) {
      throw new IllegalArgumentException("model dtype must be FLOAT32 or FLOAT64, got " + dtype);
    }
    return new OlmoModel(cfg, parent.newSubManager(), dtype, false, false);
  }

  /** A zero parameter array for {@code p}, requiring a gradient. */
  static NDArray newParam(ParamSpec p, NDManager manager, DataType dtype) {
    NDArray a = manager.zeros(new Shape(p.shape()), dtype);
    a.setName(p.name());
    a.setRequiresGradient(true);
    return a;
  }

  /**
   * An fp32 model whose parameters are present one unit at a time (FULL_SHARD): each block's
   * parameters are views of one of two slot vectors (block i uses slot i mod 2), the embedding
   * and head of vectors bound while their unit is gathered. See {@link #unitVector}.
   */
  public static OlmoModel createUnitwise(ModelConfig cfg, NDManager parent, Precision precision) {
    return new OlmoModel(cfg, parent.newSubManager(), DataType.FLOAT32,
        precision == Precision.AMP_BF16, true);
  }

  /** Whether parameters are present unit by unit ({@link #createUnitwise}). */
  public boolean unitwise() {
    return units != null;
  }

  /**
   * The fp32 vector unit {@code u}'s parameters are views of, in flat order, or null when none
   * is bound (embedding / head between gathers). Blocks share two slots: writing a block's
   * values into its slot replaces those of the block two before it.
   */
  public FlatVector unitVector(int u) {
    return unitParams().vector(u);
  }

  /**
   * Makes unit {@code u}'s parameters views of {@code values} (its length); for a block, the
   * slot's vector must be {@code values}. Call on the computing thread.
   */
  public void bindUnit(int u, FlatVector values) {
    unitParams().bind(u, values, stepManager());
  }

  /** Closes unit {@code u}'s arrays and gradients (embedding / head: the caller frees its vector next). */
  public void unbindUnit(int u) {
    unitParams().unbind(u);
  }

  /**
   * Copies unit {@code u}'s accumulated gradients into {@code dst} (flat order). They are not
   * zeroed: the unit is unbound next, and its gradients go with its arrays.
   */
  public void takeUnitGrads(int u, FlatVector dst) {
    unitParams().takeGrads(u, dst);
  }

  /**
   * Unit {@code u}'s accumulated gradients where autograd wrote them, as one flat vector: no
   * copy, held after the unit is unbound until the result is closed (on the computing thread).
   */
  public HeldGradients holdUnitGrads(int u) {
    return unitParams().holdGrads(u);
  }

  /** As {@link #takeUnitGrads}, adding them to {@code dst} (summing over micro-batches). */
  public void addUnitGrads(int u, FlatVector dst) {
    unitParams().addGrads(u, dst);
  }

  private UnitParams unitParams() {
    if (units == null) {
      throw new IllegalStateException("this model holds every parameter; units are for a"
          + " FULL_SHARD model (createUnitwise)");
    }
    return units;
  }

  /** FULL_SHARD: the hooks that gather each unit for an inference forward ({@link #logits}). */
  public void useInferenceUnits(LayerwisePass.Units hooks) {
    this.inference = hooks;
  }

  /** The head's logits [B, T, V] of the last block's output {@code x}. */
  NDArray headLogitsUnit(NDArray x) {
    if (bf16 != null) {
      return bf16.headLogits(x, stepManager());
    }
    return Linear.linear(transformer.finalNorm(x), param(arch.head())).singletonOrThrow();
  }

  /** Unit 0: the token embeddings {@code [B, T, D]} of {@code ids} (step-local INT64). */
  NDArray embedUnit(NDArray ids) {
    return Transformer.embed(ids, param(Architecture.EMBED));
  }

  /** Block {@code i} on the residual stream {@code x}, in this model's precision. */
  NDArray blockUnit(int i, NDArray x) {
    return bf16 != null ? bf16.block(i, x, stepManager()) : transformer.block(i, x);
  }

  /** The head: final norm, LM head and loss terms of the last block's output {@code x}. */
  LossTerms headUnit(NDArray x, NDArray ids, NDArray labelMask, boolean zLoss) {
    if (bf16 != null) {
      return bf16.headLoss(x, ids, labelMask, zLoss, stepManager());
    }
    return CausalLmLoss.terms(transformer.finalNorm(x), param(arch.head()), ids, labelMask,
        zLoss, stepManager());
  }

  int blockCount() {
    return arch.blocks().size();
  }

  /**
   * A zero-initialised fp32 model computing as {@code precision} says: {@code fp32} in DJL ops;
   * {@code amp_bf16} with matmuls and attention in bf16 (see {@link Bf16Compute}).
   */
  public static OlmoModel create(ModelConfig cfg, NDManager parent, Precision precision) {
    return new OlmoModel(cfg, parent.newSubManager(), DataType.FLOAT32,
        precision == Precision.AMP_BF16, false);
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
    NDArray a = units != null ? units.param(name) : params.get(name);
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
    step.tempAttachAll((units != null ? units.arrays() : params.values()).toArray(new NDArray[0]));
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
    if (units != null) {
      if (inference == null) {
        throw new IllegalStateException("a FULL_SHARD model computes logits unit by unit with its"
            + " step's gathers: create the step first");
      }
      // Collective: every rank must run the same forwards (in-loop eval pads its share).
      return LayerwisePass.logits(this, ids, inference);
    }
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
    wholeModel();
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
    resident().load(flat);
  }

  /**
   * As {@link #setParams(float[])} without a copy: the parameters become views of {@code flat},
   * which must stay open until this model is closed or loaded from elsewhere.
   */
  public void setParams(FlatVector flat) {
    resident().load(flat);
  }

  /** As {@link #setParams(float[])}, for fp64 gradient checks (narrowed for fp32 models). */
  public void setParams(double[] flat) {
    resident().load(flat);
  }

  /** Copies the parameters into {@code dst} (Ψ elements, layout order). */
  public void readParams(float[] dst) {
    resident().readValues(dst);
  }

  /** The accumulated gradient, flat in layout order (zeros where no backward ran). */
  public void readGrads(float[] dst) {
    resident().readGrads(dst);
  }

  /** As {@link #readGrads(float[])} into a vector. */
  public void readGrads(FlatVector dst) {
    resident().readGrads(dst);
  }

  public void readGrads(double[] dst) {
    resident().readGrads(dst);
  }

  /** Clears accumulated gradients (backward adds into them, as in PyTorch). */
  public void zeroGrads() {
    for (NDArray p : units != null ? units.arrays() : params.values()) {
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
    if (units != null) {
      units.close(); // after the arrays: they are views of its slot vectors
    }
  }

  private void wholeModel() {
    if (units != null) {
      throw new IllegalStateException("a FULL_SHARD model holds one unit at a time: run it unit by"
          + " unit (LayerwisePass with the step's gathers), not as a whole");
    }
  }

  private FlatParams resident() {
    if (flat == null) {
      throw new IllegalStateException("a FULL_SHARD model holds one unit at a time, not the whole"
          + " flat vector");
    }
    return flat;
  }

  NDManager stepManager() {
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
