package org.olmo4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;
import java.util.HashMap;
import java.util.Map;
import org.olmo4j.config.ModelConfig;

/**
 * OLMo's layer norm over the last dimension: LayerNorm (OLMo 1) or RMSNorm (OLMo 2/3), with an
 * optional weight, in the model's precision (fp32 or fp64 for gradient checks).
 */
final class Norm {

  private final boolean rms;
  private final float eps;
  private final NDManager owner;
  private final DataType dtype;
  /** Constant γ = 1 and β = 0 per width, made once in the model's manager. */
  private final Map<Long, NDArray[]> constants = new HashMap<>();

  Norm(ModelConfig cfg, NDManager owner, DataType dtype) {
    this.rms = cfg.layerNormType().isRms();
    this.eps = (float) cfg.layerNormEps();
    this.owner = owner;
    this.dtype = dtype;
  }

  /** Normalises {@code x [..., W]}; {@code weight [W]} multiplies the result, or null. */
  NDArray apply(NDArray x, NDArray weight) {
    if (rms) {
      // x / sqrt(mean(x²) + eps), then · weight: OLMo's RMSNorm (HF Olmo2RMSNorm).
      NDArray y = x.div(x.square().mean(new int[] {-1}, true).add(eps).sqrt());
      return weight == null ? y : y.mul(weight);
    }
    // LayerNorm through the fused kernel; without a weight with constant γ = 1, β = 0 (no grad):
    // DJL rejects a null γ, and the fused op (fwd+bwd) measured ~9× faster than mean/var ops.
    long w = x.getShape().get(x.getShape().dimension() - 1);
    NDArray[] c = constants.computeIfAbsent(w, n -> {
      NDArray[] ab = {owner.ones(new Shape(n), dtype), owner.zeros(new Shape(n), dtype)};
      NDScope.unregister(ab); // cached for the model's life, not a scope's intermediate
      return ab;
    });
    NDArray gamma = weight != null ? weight : c[0];
    return LayerNorm.layerNorm(x, new Shape(w), gamma, c[1], eps).singletonOrThrow();
  }
}
