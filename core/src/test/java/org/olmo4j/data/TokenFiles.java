package org.olmo4j.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.olmo4j.config.MemmapDtype;

/** Writes small raw memmap files for tests. */
final class TokenFiles {
  private TokenFiles() {}

  static Path write(Path file, MemmapDtype dtype, long... tokens) throws IOException {
    int width = dtype == MemmapDtype.UINT16 ? 2 : 4;
    ByteBuffer b = ByteBuffer.allocate(tokens.length * width).order(ByteOrder.LITTLE_ENDIAN);
    for (long t : tokens) {
      if (width == 2) {
        b.putShort((short) t);
      } else {
        b.putInt((int) t);
      }
    }
    return Files.write(file, b.array());
  }

  /** Tokens {@code from, from+1, ..., from+count-1}. */
  static long[] range(long from, int count) {
    long[] t = new long[count];
    for (int i = 0; i < count; i++) {
      t[i] = from + i;
    }
    return t;
  }

  static long[] read(Path file, MemmapDtype dtype) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    int width = dtype == MemmapDtype.UINT16 ? 2 : 4;
    long[] t = new long[b.capacity() / width];
    for (int i = 0; i < t.length; i++) {
      t[i] = width == 2 ? Short.toUnsignedLong(b.getShort()) : Integer.toUnsignedLong(b.getInt());
    }
    return t;
  }
}
