package org.olmo4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/** Bulk copies between parameter/gradient arrays and flat Java vectors (fp32 or fp64). */
final class ParamCopy {

  private ByteBuffer staging;

  /** Writes {@code n} values of {@code src} from {@code off} into {@code dst} (its dtype). */
  void write(NDArray dst, float[] src, int off) {
    int n = Math.toIntExact(dst.size());
    ByteBuffer buf = staging(dst);
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

  void write(NDArray dst, double[] src, int off) {
    int n = Math.toIntExact(dst.size());
    ByteBuffer buf = staging(dst);
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

  /** A reused direct buffer sized for {@code dst}, so large loads do not churn direct memory. */
  private ByteBuffer staging(NDArray dst) {
    int bytes = Math.toIntExact(dst.size() * dst.getDataType().getNumOfBytes());
    if (staging == null || staging.capacity() < bytes) {
      staging = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
    }
    staging.clear().limit(bytes);
    return staging;
  }
}
