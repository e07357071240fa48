package org.olmo4j.exchange;

/** Collective operations; codes equal the {@code OpKind} numbers of collective.proto. */
public enum OpKind {
  REDUCE_SCATTER(1, "reduce-scatter"),
  ALL_GATHER(2, "all-gather"),
  ALL_REDUCE(3, "all-reduce");

  private final int code;
  private final String label;

  OpKind(int code, String label) {
    this.code = code;
    this.label = label;
  }

  public int code() {
    return code;
  }

  /** The operation with wire code {@code code}, or null when none has it. */
  public static OpKind ofCode(int code) {
    for (OpKind k : values()) {
      if (k.code == code) {
        return k;
      }
    }
    return null;
  }

  @Override
  public String toString() {
    return label;
  }
}
