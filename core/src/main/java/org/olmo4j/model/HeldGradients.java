package org.olmo4j.model;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * A unit's gradients where autograd wrote them, seen as one flat fp32 vector in the unit's flat
 * order: no copy. The gradient arrays are detached from the step's scope and live until this is
 * closed, so a reduce-scatter may read them on another thread after the unit's parameters are
 * gone; close it on the computing thread once that read is done.
 */
public final class HeldGradients implements AutoCloseable {

  private final List<NDArray> arrays;
  private final FlatVector vector;

  HeldGradients(List<NDArray> arrays, FlatVector vector) {
    this.arrays = arrays;
    this.vector = vector;
  }

  /** The gradients, flat; valid until {@link #close()}. */
  public FlatVector vector() {
    return vector;
  }

  /** Whether any of the gradient arrays has been closed (tests: none until {@link #close()}). */
  boolean released() {
    return arrays.stream().anyMatch(NDArray::isReleased);
  }

  /** Lets autograd's memory go. */
  @Override
  public void close() {
    vector.close();
    for (NDArray a : arrays) {
      a.close();
    }
  }
}
