package org.olmo4j.data;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
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
  private final int width;
  private final long length;
  private final long chunkElements;
  private final MappedByteBuffer[] chunks;

  private MappedArray(Path path, int width, long length, long chunkElements, MappedByteBuffer[] chunks) {
    this.path = path;
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
      return new MappedArray(path, width, size / width, chunkBytes / width, chunks);
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

  /** Element {@code index} as an unsigned value. */
  long get(long index) {
    MappedByteBuffer chunk = chunks[(int) (index / chunkElements)];
    int at = (int) (index % chunkElements) * width;
    return switch (width) {
      case 1 -> Byte.toUnsignedLong(chunk.get(at));
      case 2 -> Short.toUnsignedLong(chunk.getShort(at));
      case 4 -> Integer.toUnsignedLong(chunk.getInt(at));
      default -> chunk.getLong(at);
    };
  }

  /** Copies {@code count} elements starting at {@code index} into {@code dst[offset..]}. */
  void read(long index, long[] dst, int offset, int count) {
    for (int i = 0; i < count; i++) {
      dst[offset + i] = get(index + i);
    }
  }
}
