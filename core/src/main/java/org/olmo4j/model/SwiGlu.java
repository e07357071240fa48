package org.olmo4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;

/** OLMo's SwiGLU feed-forward: {@code down(silu(gate(x)) · up(x))}, bias-free. */
final class SwiGlu {

  private SwiGlu() {}

  /** {@code x [B, T, D]} (already normalised) → {@code [B, T, D]}. */
  static NDArray forward(NDArray x, NDArray gate, NDArray up, NDArray down) {
    NDArray g = Linear.linear(x, gate).singletonOrThrow();
    NDArray hidden = g.mul(Activation.sigmoid(g)).mul(Linear.linear(x, up).singletonOrThrow());
    return Linear.linear(hidden, down).singletonOrThrow();
  }
}
