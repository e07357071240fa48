package org.olmo4j.exchange;

import java.nio.ByteBuffer;

/**
 * Header of one frame on the bulk channel, followed by {@code byteLength} bytes of little-endian
 * elements: the slice {@code [elementOffset, elementOffset + elementCount)} of a flat vector of
 * {@code total} elements, for collective number {@code sequence} of {@code generation}.
 */
record FrameHeader(
    OpKind op,
    DType dtype,
    int srcRank,
    int dstRank,
    long generation,
    long sequence,
    long total,
    long elementOffset,
    int elementCount,
    int byteLength) {

  /** "OLMF" (little-endian on the wire). */
  static final int MAGIC = 0x464D4C4F;
  static final int BYTES = 56;

  /** Writes the header at the buffer's position (the buffer must be little-endian). */
  void writeTo(ByteBuffer b) {
    b.putInt(MAGIC)
        .put((byte) op.code())
        .put((byte) dtype.code())
        .putShort((short) 0)
        .putInt(srcRank)
        .putInt(dstRank)
        .putLong(generation)
        .putLong(sequence)
        .putLong(total)
        .putLong(elementOffset)
        .putInt(elementCount)
        .putInt(byteLength);
  }

  /** Reads a header at the buffer's position; {@code from} names the sender in errors. */
  static FrameHeader readFrom(ByteBuffer b, String from) {
    int magic = b.getInt();
    if (magic != MAGIC) {
      throw new ExchangeException("bad frame from " + from + ": expected magic 0x"
          + Integer.toHexString(MAGIC) + ", got 0x" + Integer.toHexString(magic));
    }
    int opCode = b.get();
    int dtypeCode = b.get();
    b.getShort();
    OpKind op = OpKind.ofCode(opCode);
    if (op == null) {
      throw new ExchangeException("bad frame from " + from + ": unknown op code " + opCode);
    }
    DType dtype = DType.ofCode(dtypeCode);
    if (dtype == null) {
      throw new ExchangeException("bad frame from " + from + ": unknown dtype code " + dtypeCode);
    }
    return new FrameHeader(op, dtype, b.getInt(), b.getInt(), b.getLong(), b.getLong(),
        b.getLong(), b.getLong(), b.getInt(), b.getInt());
  }
}
