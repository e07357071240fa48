package org.olmo4j.model;

import java.util.Arrays;

/**
 * One parameter tensor: its Hugging Face {@code OlmoForCausalLM} name, shape and kind.
 *
 * <p>The name is also the checkpoint key, so loading is a loop with shape checks.
 */
public record ParamSpec(String name, long[] shape, Kind kind) {

  /** What a parameter is, which decides its AdamW group (OLMo's decay / no-decay split). */
  public enum Kind { EMBEDDING, LINEAR, NORM, BIAS }

  public ParamSpec {
    if (shape.length == 0) {
      throw new IllegalArgumentException(name + ": a parameter needs at least one dimension");
    }
    shape = shape.clone();
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  public long numel() {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ParamSpec p
        && p.name.equals(name) && Arrays.equals(p.shape, shape) && p.kind == kind;
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return name + Arrays.toString(shape);
  }
}
