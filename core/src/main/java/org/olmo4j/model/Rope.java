package org.olmo4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.HashMap;
import java.util.Map;

/**
 * Rotary position embedding as OLMo / HF: rotate-half form, {@code x·cos + rotate_half(x)·sin}.
 *
 * <p>Tables are computed in fp32 the way OLMo does ({@code inv_freq = 1/θ^(2i/hd)}, then
 * {@code pos·inv_freq}, then cos/sin), widened to the model dtype, and cached per sequence length
 * in the model's manager.
 */
final class Rope {

  /** cos and sin tables {@code [T, hd]}; {@code scale} is folded into the query pair. */
  record Tables(NDArray cos, NDArray sin, NDArray cosScaled, NDArray sinScaled) {}

  private final int headDim;
  private final double theta;
  private final double scale;
  private final NDManager owner;
  private final DataType dtype;
  private final Map<Integer, Tables> cache = new HashMap<>();

  /** {@code scale} multiplies rotated queries: the attention's 1/sqrt(hd), applied for free. */
  Rope(int headDim, double theta, double scale, NDManager owner, DataType dtype) {
    this.headDim = headDim;
    this.theta = theta;
    this.scale = scale;
    this.owner = owner;
    this.dtype = dtype;
  }

  Tables tables(int seqLen) {
    return cache.computeIfAbsent(seqLen, n -> {
      Tables t = build(n);
      // Cached for the model's life: not an intermediate of the scope that first asked.
      NDScope.unregister(t.cos(), t.sin(), t.cosScaled(), t.sinScaled());
      return t;
    });
  }

  private Tables build(int seqLen) {
    int half = headDim / 2;
    float[] invFreq = new float[half];
    for (int i = 0; i < half; i++) {
      float exponent = (float) (2 * i) / (float) headDim;
      invFreq[i] = 1.0f / (float) Math.pow(theta, exponent);
    }
    double[][] t = new double[4][seqLen * headDim];
    for (int pos = 0; pos < seqLen; pos++) {
      for (int j = 0; j < headDim; j++) {
        float angle = (float) pos * invFreq[j % half];
        double c = (float) Math.cos(angle);
        double s = (float) Math.sin(angle);
        int k = pos * headDim + j;
        t[0][k] = c;
        t[1][k] = s;
        t[2][k] = c * scale;
        t[3][k] = s * scale;
      }
    }
    return new Tables(table(t[0], seqLen), table(t[1], seqLen), table(t[2], seqLen),
        table(t[3], seqLen));
  }

  private NDArray table(double[] values, int seqLen) {
    Shape shape = new Shape(seqLen, headDim);
    if (dtype == DataType.FLOAT64) {
      return owner.create(values, shape);
    }
    float[] f = new float[values.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) values[i];
    }
    return owner.create(f, shape);
  }

  /** Rotates {@code x [..., T, hd]}; the result lives in {@code x}'s manager. */
  static NDArray apply(NDArray x, NDArray cos, NDArray sin) {
    int last = x.getShape().dimension() - 1;
    NDList halves = x.split(2, last);
    NDArray rotated = NDArrays.concat(new NDList(halves.get(1).neg(), halves.get(0)), last);
    return x.mul(cos).addi(rotated.muli(sin));
  }
}
