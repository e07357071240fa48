package org.olmo4j.exchange;

import java.nio.ByteBuffer;

/**
 * A primitive array seen as elements of one {@link DType}, copied to and from little-endian
 * buffers (positioned at 0) in bulk.
 */
abstract class Elements {

  abstract DType dtype();

  /** Copies {@code n} elements from index {@code from} into {@code dst} starting at byte 0. */
  abstract void put(int from, int n, ByteBuffer dst);

  /** Copies {@code n} elements from {@code src} (byte 0 on) into the array at index {@code to}. */
  abstract void get(ByteBuffer src, int to, int n);

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
