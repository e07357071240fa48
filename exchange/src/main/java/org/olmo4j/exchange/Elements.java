package org.olmo4j.exchange;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.olmo4j.model.FlatVector;

/**
 * A primitive array or a {@link FlatVector} seen as elements of one {@link DType}, copied to and
 * from little-endian buffers (positioned at 0) in bulk; a vector also lends views of itself, so
 * that sockets read and write it in place.
 */
abstract class Elements {

  abstract DType dtype();

  /** Copies {@code n} elements from index {@code from} into {@code dst} starting at byte 0. */
  abstract void put(int from, int n, ByteBuffer dst);

  /** Copies {@code n} elements from {@code src} (byte 0 on) into the array at index {@code to}. */
  abstract void get(ByteBuffer src, int to, int n);

  /**
   * The bytes of up to {@code n} elements from index {@code from} in place (little-endian, position
   * 0; fewer elements where a vector's segment ends), or null when they must be copied (arrays).
   */
  ByteBuffer view(int from, int n) {
    return null;
  }

  static Elements of(FlatVector v) {
    if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
      throw new UnsupportedOperationException("the exchange sends vectors in place, so it needs a "
          + "little-endian machine; this one is " + ByteOrder.nativeOrder());
    }
    DType dtype = v.isFp32() ? DType.FP32 : DType.BF16;
    int size = v.elementBytes();
    return new Elements() {
      DType dtype() {
        return dtype;
      }

      void put(int from, int n, ByteBuffer dst) {
        for (int done = 0; done < n; ) {
          ByteBuffer src = view(from + done, n - done);
          int bytes = src.remaining();
          dst.put(done * size, src, 0, bytes);
          done += bytes / size;
        }
      }

      void get(ByteBuffer src, int to, int n) {
        for (int done = 0; done < n; ) {
          ByteBuffer dst = view(to + done, n - done);
          int bytes = dst.remaining();
          dst.put(0, src, done * size, bytes);
          done += bytes / size;
        }
      }

      @Override
      ByteBuffer view(int from, int n) {
        return v.view(from, Math.min(n, v.contiguous(from)));
      }
    };
  }

  static Elements of(float[] a) {
    return new Elements() {
      DType dtype() {
        return DType.FP32;
      }

      void put(int from, int n, ByteBuffer dst) {
        dst.asFloatBuffer().put(a, from, n);
      }

      void get(ByteBuffer src, int to, int n) {
        src.asFloatBuffer().get(a, to, n);
      }
    };
  }

  static Elements of(short[] a) {
    return new Elements() {
      DType dtype() {
        return DType.BF16;
      }

      void put(int from, int n, ByteBuffer dst) {
        dst.asShortBuffer().put(a, from, n);
      }

      void get(ByteBuffer src, int to, int n) {
        src.asShortBuffer().get(a, to, n);
      }
    };
  }

  static Elements of(double[] a) {
    return new Elements() {
      DType dtype() {
        return DType.FP64;
      }

      void put(int from, int n, ByteBuffer dst) {
        dst.asDoubleBuffer().put(a, from, n);
      }

      void get(ByteBuffer src, int to, int n) {
        src.asDoubleBuffer().get(a, to, n);
      }
    };
  }
}
