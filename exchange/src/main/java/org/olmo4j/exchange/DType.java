package org.olmo4j.exchange;

/** Element types on the wire; codes equal the {@code DType} numbers of collective.proto. */
public enum DType {
  FP32(1, Float.BYTES),
  BF16(2, Short.BYTES),
  FP64(3, Double.BYTES);

  private final int code;
  private final int bytes;

  DType(int code, int bytes) {
    this.code = code;
    this.bytes = bytes;
  }

  public int code() {
    return code;
  }

  public int bytes() {
    return bytes;
  }

  /** The type with wire code {@code code}, or null when none has it. */
  public static DType ofCode(int code) {
    for (DType t : values()) {
      if (t.code == code) {
        return t;
      }
    }
    return null;
  }
}
