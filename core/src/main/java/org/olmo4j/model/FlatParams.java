package org.olmo4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * Bulk copies between the parameter (and gradient) arrays and flat Ψ vectors, fp32 or fp64.
 *
 * <p>DJL's {@code set(directByteBuffer)} does not copy: the tensor's storage becomes the buffer
 * (kept alive by the array). So each parameter gets its own direct buffer, allocated once and
 * re-filled on every load; a shared staging buffer would alias all parameters. Parameters thus
 * live in Java direct memory: size {@code -XX:MaxDirectMemorySize} for Ψ·4 bytes (fp32).
 * Loaded from a {@link FlatVector}, a parameter's storage is the vector's own memory instead (no
 * copy at all): the vector must then outlive the arrays. Reads go the other way through {@code
 * toByteBuffer(true)}: a view of the tensor's own memory, copied once into the destination before
 * the array is closed (plain {@code toByteBuffer()} first copies it into a Java heap array).
 */
final class FlatParams {

  private final FlatLayout layout;
  private final List<NDArray> arrays;
  private final ByteBuffer[] storage;

  /** {@code arrays} in {@code layout} order. */
  FlatParams(FlatLayout layout, List<NDArray> arrays) {
    this.layout = layout;
    this.arrays = List.copyOf(arrays);
    this.storage = new ByteBuffer[arrays.size()];
  }

  void load(float[] flat) {
    check(flat.length);
    for (int p = 0; p < arrays.size(); p++) {
      NDArray dst = arrays.get(p);
      int off = offset(p);
      int n = Math.toIntExact(dst.size());
      ByteBuffer buf = storage(p);
      if (dst.getDataType() == DataType.FLOAT32) {
        buf.asFloatBuffer().put(flat, off, n);
      } else {
        DoubleBuffer d = buf.asDoubleBuffer();
        for (int i = 0; i < n; i++) {
          d.put(i, flat[off + i]);
        }
      }
      dst.set(buf);
    }
  }

  /**
   * The parameters become views of {@code flat} (fp32 parameters within one segment; any other
   * is copied into its own buffer): later writes into {@code flat} change them.
   */
  void load(FlatVector flat) {
    check(flat.length());
    for (int p = 0; p < arrays.size(); p++) {
      NDArray dst = arrays.get(p);
      int off = offset(p);
      int n = Math.toIntExact(dst.size());
      if (dst.getDataType() == DataType.FLOAT32 && flat.isFp32() && flat.contiguous(off) >= n) {
        dst.set(flat.view(off, n));
        continue;
      }
      float[] values = new float[n];
      flat.get(off, values, 0, n);
      ByteBuffer buf = storage(p);
      if (dst.getDataType() == DataType.FLOAT32) {
        buf.asFloatBuffer().put(values);
      } else {
        DoubleBuffer d = buf.asDoubleBuffer();
        for (int i = 0; i < n; i++) {
          d.put(i, values[i]);
        }
      }
      dst.set(buf);
    }
  }

  void load(double[] flat) {
    check(flat.length);
    for (int p = 0; p < arrays.size(); p++) {
      NDArray dst = arrays.get(p);
      int off = offset(p);
      int n = Math.toIntExact(dst.size());
      ByteBuffer buf = storage(p);
      if (dst.getDataType() == DataType.FLOAT64) {
        buf.asDoubleBuffer().put(flat, off, n);
      } else {
        FloatBuffer f = buf.asFloatBuffer();
        for (int i = 0; i < n; i++) {
          f.put(i, (float) flat[off + i]);
        }
      }
      dst.set(buf);
    }
  }

  void readValues(float[] dst) {
    check(dst.length);
    for (int p = 0; p < arrays.size(); p++) {
      read(arrays.get(p), dst, offset(p));
    }
  }

  /** The accumulated gradients; zeros for a parameter no backward has reached yet. */
  void readGrads(float[] dst) {
    check(dst.length);
    for (int p = 0; p < arrays.size(); p++) {
      try (NDArray g = arrays.get(p).getGradient()) {
        read(g, dst, offset(p));
      }
    }
  }

  /** As {@link #readGrads(float[])} into a vector. */
  void readGrads(FlatVector dst) {
    check(dst.length());
    for (int p = 0; p < arrays.size(); p++) {
      try (NDArray g = arrays.get(p).getGradient()) {
        int off = offset(p);
        ByteBuffer buf = g.toByteBuffer(true).order(ByteOrder.nativeOrder());
        if (g.getDataType() == DataType.FLOAT32) {
          dst.put(off, buf);
        } else {
          int n = Math.toIntExact(g.size());
          float[] values = new float[n];
          DoubleBuffer d = buf.asDoubleBuffer();
          for (int i = 0; i < n; i++) {
            values[i] = (float) d.get(i);
          }
          dst.put(off, values, 0, n);
        }
      }
    }
  }

  void readGrads(double[] dst) {
    check(dst.length);
    for (int p = 0; p < arrays.size(); p++) {
      try (NDArray g = arrays.get(p).getGradient()) {
        ByteBuffer buf = g.toByteBuffer(true).order(ByteOrder.nativeOrder());
        int off = offset(p);
        int n = Math.toIntExact(g.size());
        if (g.getDataType() == DataType.FLOAT64) {
          buf.asDoubleBuffer().get(dst, off, n);
        } else {
          FloatBuffer f = buf.asFloatBuffer();
          for (int i = 0; i < n; i++) {
            dst[off + i] = f.get(i);
          }
        }
      }
    }
  }

  private static void read(NDArray src, float[] dst, int off) {
    int n = Math.toIntExact(src.size());
    ByteBuffer buf = src.toByteBuffer(true).order(ByteOrder.nativeOrder());
    if (src.getDataType() == DataType.FLOAT32) {
      buf.asFloatBuffer().get(dst, off, n);
    } else {
      DoubleBuffer d = buf.asDoubleBuffer();
      for (int i = 0; i < n; i++) {
        dst[off + i] = (float) d.get(i);
      }
    }
  }

  private int offset(int p) {
    return (int) layout.offsetOf(layout.params().get(p).name());
  }

  /**
   * Parameter p's own direct buffer (64-byte aligned): allocated once, so loads do not churn
   * direct memory.
   */
  private ByteBuffer storage(int p) {
    if (storage[p] == null) {
      NDArray a = arrays.get(p);
      int bytes = Math.toIntExact(a.size() * a.getDataType().getNumOfBytes());
      storage[p] = AlignedBuffer.allocate(bytes).memory();
    }
    return storage[p].clear();
  }

  private void check(long n) {
    if (n != layout.totalElements()) {
      throw new IllegalArgumentException(
          "flat vector has " + n + " elements, the model has Ψ = " + layout.totalElements());
    }
  }
}
