package org.olmo4j.exchange;

import org.olmo4j.model.FlatVector;

/** Argument checks of the full vectors a collective is called with. */
final class VectorArgs {

  private VectorArgs() {}

  /** The length of {@code v}, which must hold {@code dtype} elements and fit the exchange's indices. */
  static int length(FlatVector v, DType dtype, String op) {
    DType has = v.isFp32() ? DType.FP32 : DType.BF16;
    if (has != dtype) {
      throw new IllegalArgumentException(op + " of " + dtype + " called with a vector of " + has);
    }
    if (v.length() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(op + ": " + v.length() + " elements; the exchange handles "
          + "at most " + Integer.MAX_VALUE + " (the flat layout's limit)");
    }
    return (int) v.length();
  }
}
