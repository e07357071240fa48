package org.olmo4j.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Native memory whose first byte is on a 64-byte boundary, for the buffers tensors are views of
 * (parameters, gathered units).
 *
 * <p>oneMKL, PyTorch's CPU BLAS, may sum a product in another order when its operands sit at
 * another alignment (its conditional numerical reproducibility holds only for identically
 * aligned arrays), and {@code ByteBuffer.allocateDirect} returns whatever malloc does: 16-byte
 * aligned, differently from one allocation to the next. A resumed run's parameters would then
 * sit at other alignments than the uninterrupted run's, and their losses part at rounding on the
 * CPUs where that happens. Aligned to 64 bytes (a cache line, an AVX-512 register), a
 * parameter's alignment is a function of its offset in the layout alone.
 *
 * @param memory the aligned buffer ({@code bytes} long, native order, zeros)
 * @param owner the allocation {@code memory} is a slice of: what frees it
 */
record AlignedBuffer(ByteBuffer memory, ByteBuffer owner) {

  static final int ALIGNMENT = 64;

  static AlignedBuffer allocate(int bytes) {
    if (bytes < 0 || bytes > Integer.MAX_VALUE - 2 * ALIGNMENT) {
      throw new IllegalArgumentException("cannot allocate " + bytes + " aligned bytes");
    }
    // alignedSlice also rounds the end down to a boundary: room for whole units after the start.
    int units = (bytes + ALIGNMENT - 1) / ALIGNMENT;
    ByteBuffer owner = ByteBuffer.allocateDirect(units * ALIGNMENT + ALIGNMENT - 1);
    ByteBuffer aligned = owner.alignedSlice(ALIGNMENT).limit(bytes);
    return new AlignedBuffer(aligned.slice().order(ByteOrder.nativeOrder()), owner);
  }
}
