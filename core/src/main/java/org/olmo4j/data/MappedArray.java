package org.olmo4j.data;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A read-only, headerless little-endian array of fixed-width unsigned elements (1, 2, 4 or 8 bytes)
 * memory-mapped in chunks, so files larger than 2 GiB work.
 */
final class MappedArray {
  /** Chunk size in bytes: a multiple of every element width, below the 2 GiB mapping limit. */
  static final long DEFAULT_CHUNK_BYTES = 1L << 30;

  private final Path path;
  private final String what;
  private final long mappedBytes;
  private final int width;
  private final long length;
  private final long chunkElements;
  private final MappedByteBuffer[] chunks;

  private MappedArray(Path path, String what, long mappedBytes, int width, long length,
      long chunkElements, MappedByteBuffer[] chunks) {
    this.path = path;
    this.what = what;
    this.mappedBytes = mappedBytes;
    this.width = width;
    this.length = length;
    this.chunkElements = chunkElements;
    this.chunks = chunks;
  }

  static MappedArray open(Path path, int width, String what) {
    return open(path, 0, width, what, DEFAULT_CHUNK_BYTES);
  }

  /** Maps the elements after {@code headerBytes} bytes; {@code what} names the file's role. */
  static MappedArray open(Path path, long headerBytes, int width, String what, long chunkBytes) {
    if (chunkBytes % width != 0 || chunkBytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("chunk of " + chunkBytes + " bytes for width " + width);
    }
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = channel.size() - headerBytes;
      if (size % width != 0) {
        throw new DataException(
            what + " " + path + ": size " + size + " bytes is not a multiple of " + width
                + " bytes per element");
      }
      int n = (int) ((size + chunkBytes - 1) / chunkBytes);
      MappedByteBuffer[] chunks = new MappedByteBuffer[n];
      for (int i = 0; i < n; i++) {
        long start = i * chunkBytes;
        chunks[i] = channel.map(
            FileChannel.MapMode.READ_ONLY, headerBytes + start, Math.min(chunkBytes, size - start));
        chunks[i].order(ByteOrder.LITTLE_ENDIAN);
      }
      return new MappedArray(path, what, headerBytes + size, width, size / width,
          chunkBytes / width, chunks);
    } catch (NoSuchFileException e) {
      throw new DataException(what + " " + path + " does not exist", e);
    } catch (IOException e) {
      throw new DataException("cannot map " + what + " " + path + ": " + e.getMessage(), e);
    }
  }

  Path path() {
    return path;
  }

  long length() {
    return length;
  }

  /** Element {@code index} as an unsigned value; a file gone bad meanwhile throws naming it. */
  long get(long index) {
    try {
      return element(index);
    } catch (InternalError e) {
      throw unreadable(e);
    }
  }

  private long element(long index) {
    MappedByteBuffer chunk = chunks[(int) (index / chunkElements)];
    int at = (int) (index % chunkElements) * width;
    return switch (width) {
      case 1 -> Byte.toUnsignedLong(chunk.get(at));
      case 2 -> Short.toUnsignedLong(chunk.getShort(at));
      case 4 -> Integer.toUnsignedLong(chunk.getInt(at));
      default -> chunk.getLong(at);
    };
  }

  /**
   * Copies {@code count} elements starting at {@code index} into {@code dst[offset..]}; throws
   * naming the file when it no longer holds them (the values read are then garbage).
   */
  void read(long index, long[] dst, int offset, int count) {
    try {
      for (int i = 0; i < count; i++) {
        dst[offset + i] = element(index + i);
      }
      // The JVM may report a fault in compiled code only later, at its next call into native
      // code: this check's file system call, so the fault surfaces here, not elsewhere.
      checkIntact();
    } catch (InternalError e) {
      throw unreadable(e);
    }
  }

  /**
   * A mapped page that can no longer be read (the file was truncated or replaced in place, or
   * the disk failed) raises SIGBUS, which the JVM turns into an InternalError.
   */
  private DataException unreadable(InternalError e) {
    long now = currentSize();
    return new DataException(what + " " + path + " became unreadable during the run ("
        + describe(now) + (now >= mappedBytes ? ": " + e.getMessage() : "") + ")", e);
  }

  /** Throws naming the file when it no longer has the bytes that were mapped. */
  void checkIntact() {
    long now = currentSize();
    if (now < mappedBytes) {
      throw new DataException(what + " " + path + " became unreadable during the run ("
          + describe(now) + ")");
    }
  }

  /** The file's size now; -1 when it cannot be read. */
  private long currentSize() {
    try {
      return Files.size(path);
    } catch (IOException e) {
      return -1;
    }
  }

  private String describe(long now) {
    return now < 0 ? "it can no longer be read"
        : now < mappedBytes ? "it has " + now + " bytes, " + mappedBytes + " when it was opened"
        : "an I/O error";
  }
}
