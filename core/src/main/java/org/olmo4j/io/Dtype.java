package org.olmo4j.io;

/** Element types of the safetensors format, by their header names. */
public enum Dtype {
  F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

  private final int size;

  Dtype(int size) {
    this.size = size;
  }

  /** Bytes per element. */
  public int size() {
    return size;
  }

  /** Whether this is an integer (or bool) type. */
  public boolean isIntegral() {
    return this != F64 && this != F32 && this != F16 && this != BF16;
  }

  /** The dtype named {@code name} in a header, or null if olmo4j does not read it. */
  static Dtype byName(String name) {
    for (Dtype d : values()) {
      if (d.name().equals(name)) {
        return d;
      }
    }
    return null;
  }
}
