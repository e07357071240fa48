package org.olmo4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * Bulk copies between parameter/gradient arrays and flat Java vectors (fp32 or fp64).
 *
 * <p>DJL's {@code set(directByteBuffer)} does not copy: the tensor's storage becomes the buffer
 * (kept alive by the array). So each parameter gets its own direct buffer, allocated once and
 * re-filled on every load; a shared staging buffer would alias all parameters. Parameters thus
 * live in Java direct memory: size {@code -XX:MaxDirectMemorySize} for Ψ·4 bytes.
 */
final class ParamCopy {

  private final ByteBuffer[] storage;

  ParamCopy(int params) {
    storage = new ByteBuffer[params];
  }

  /** Writes {@code dst.size()} values of {@code src} from {@code off} into parameter {@code index}. */
  void write(int index, NDArray dst, float[] src, int off) {
    int n = Math.toIntExact(dst.size());
    ByteBuffer buf = storage(index, dst);
    if (dst.getDataType() == DataType.FLOAT32) {
      buf.asFloatBuffer().put(src, off, n);
    } else {
      DoubleBuffer d = buf.asDoubleBuffer();
      for (int i = 0; i < n; i++) {
        d.put(i, src[off + i]);
      }
    }
    dst.set(buf);
  }

  void write(int index, NDArray dst, double[] src, int off) {
    int n = Math.toIntExact(dst.size());
    ByteBuffer buf = storage(index, dst);
    if (dst.getDataType() == DataType.FLOAT64) {
      buf.asDoubleBuffer().put(src, off, n);
    } else {
      FloatBuffer f = buf.asFloatBuffer();
      for (int i = 0; i < n; i++) {
        f.put(i, (float) src[off + i]);
      }
    }
    dst.set(buf);
  }

  static void read(NDArray src, float[] dst, int off) {
    int n = Math.toIntExact(src.size());
    ByteBuffer buf = src.toByteBuffer().order(ByteOrder.nativeOrder());
    if (src.getDataType() == DataType.FLOAT32) {
      buf.asFloatBuffer().get(dst, off, n);
    } else {
      DoubleBuffer d = buf.asDoubleBuffer();
      for (int i = 0; i < n; i++) {
        dst[off + i] = (float) d.get(i);
      }
    }
  }

  static void read(NDArray src, double[] dst, int off) {
    int n = Math.toIntExact(src.size());
    ByteBuffer buf = src.toByteBuffer().order(ByteOrder.nativeOrder());
    if (src.getDataType() == DataType.FLOAT64) {
      buf.asDoubleBuffer().get(dst, off, n);
    } else {
      FloatBuffer f = buf.asFloatBuffer();
      for (int i = 0; i < n; i++) {
        dst[off + i] = f.get(i);
      }
    }
  }

  /** Parameter i's own direct buffer: allocated once, so loads do not churn direct memory. */
  private ByteBuffer storage(int i, NDArray dst) {
    if (storage[i] == null) {
      int bytes = Math.toIntExact(dst.size() * dst.getDataType().getNumOfBytes());
      storage[i] = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
    }
    return storage[i].clear();
  }
}
