package org.olmo4j.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads a safetensors file through memory mappings. Files larger than 2 GiB are mapped in
 * overlapping 1 GiB windows, so tensors of any size can be read, whole or by element range;
 * BF16 and F16 are widened to float in Java. Safe for concurrent reads.
 */
public final class SafetensorsReader implements AutoCloseable {

  private static final long DEFAULT_WINDOW = 1L << 30;
  private static final long OVERLAP = 8; // an element starting in a window always ends inside it
  private static final int CHUNK = 1 << 16;

  private final Path file;
  private final FileChannel channel;
  private final long size;
  private final SafetensorsHeader header;
  private final long windowBytes;
  private final MappedByteBuffer[] windows;

  static SafetensorsReader open(Path file) throws IOException {
    return open(file, DEFAULT_WINDOW);
  }

  /** Opens with mapping windows of {@code windowBytes} (tests use small ones to cross windows). */
  static SafetensorsReader open(Path file, long windowBytes) throws IOException {
    FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
    try {
      return new SafetensorsReader(file, ch, windowBytes);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  private SafetensorsReader(Path file, FileChannel channel, long windowBytes) throws IOException {
    this.file = file;
    this.windowBytes = windowBytes;
    this.channel = channel;
    this.size = channel.size();
    this.header = SafetensorsHeader.read(file, channel);
    this.windows = new MappedByteBuffer[(int) ((size + windowBytes - 1) / windowBytes)];
  }

  public Path file() {
    return file;
  }

  public Map<String, String> metadata() {
    return header.metadata();
  }

  /** All tensors, in data order. */
  public List<TensorInfo> tensors() {
    List<TensorInfo> out = new ArrayList<>();
    header.entries().values().forEach(e -> out.add(e.info()));
    return out;
  }

  public boolean contains(String name) {
    return header.entries().containsKey(name);
  }

  /** The tensor named {@code name}; the error names the file when there is none. */
  public TensorInfo info(String name) throws SafetensorsException {
    return entry(name).info();
  }

  private SafetensorsHeader.Entry entry(String name) throws SafetensorsException {
    SafetensorsHeader.Entry e = header.entries().get(name);
    if (e == null) {
      throw new SafetensorsException(file, "no tensor named '" + name + "'");
    }
    return e;
  }

  /** The whole tensor as floats (it must have fewer than 2^31 elements). */
  public float[] readFloats(String name) throws IOException {
    TensorInfo t = info(name);
    if (t.numel() >= Integer.MAX_VALUE) {
      throw new SafetensorsException(file, "tensor '" + name + "' has " + t.numel()
          + " elements, too many for one array; read it by range");
    }
    float[] out = new float[(int) t.numel()];
    readFloats(name, 0, out, 0, out.length);
    return out;
  }

  /** Elements {@code [from, from+count)} of tensor {@code name} (flattened), widened to float. */
  public void readFloats(String name, long from, float[] dst, int dstOff, int count) throws IOException {
    SafetensorsHeader.Entry e = entry(name);
    TensorInfo t = e.info();
    if (from < 0 || count < 0 || from + count > t.numel()) {
      throw new SafetensorsException(file, "tensor '" + name + "': elements [" + from + ", "
          + (from + count) + ") outside [0, " + t.numel() + ")");
    }
    Dtype d = t.dtype();
    long pos = e.begin() + from * d.size();
    int done = 0;
    while (done < count) {
      int w = (int) (pos / windowBytes);
      int rel = (int) (pos - w * windowBytes);
      long startsInWindow = (windowBytes - rel + d.size() - 1) / d.size();
      int n = (int) Math.min(count - done, startsInWindow);
      ByteBuffer view = window(w).duplicate().order(ByteOrder.LITTLE_ENDIAN);
      view.position(rel);
      Widening.toFloats(view, d, dst, dstOff + done, n);
      done += n;
      pos += (long) n * d.size();
    }
  }

  /** The whole tensor as longs; integer and bool dtypes only. */
  public long[] readLongs(String name) throws IOException {
    SafetensorsHeader.Entry e = entry(name);
    TensorInfo t = e.info();
    if (!t.dtype().isIntegral()) {
      throw new SafetensorsException(file, "tensor '" + name + "' is " + t.dtype() + ", not an integer type");
    }
    if (t.byteSize() > DEFAULT_WINDOW) {
      throw new SafetensorsException(file, "tensor '" + name + "' is too large to read as longs");
    }
    long[] out = new long[(int) t.numel()];
    ByteBuffer view = ByteBuffer.allocate((int) t.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    while (view.hasRemaining()) {
      if (channel.read(view, e.begin() + view.position()) < 0) {
        throw new SafetensorsException(file, "unexpected end of file in tensor '" + name + "'");
      }
    }
    view.flip();
    Widening.toLongs(view, t.dtype(), out);
    return out;
  }

  private synchronized MappedByteBuffer window(int w) throws IOException {
    if (windows[w] == null) {
      long start = w * windowBytes;
      long len = Math.min(windowBytes + OVERLAP, size - start);
      windows[w] = channel.map(FileChannel.MapMode.READ_ONLY, start, len);
    }
    return windows[w];
  }

  /** Closes the file; mappings are released by the garbage collector, as the JDK requires. */
  @Override
  public void close() throws IOException {
    channel.close();
  }

  /** dtype → float / long conversion of little-endian buffers. */
  private static final class Widening {

    static void toFloats(ByteBuffer src, Dtype d, float[] dst, int off, int n) {
      switch (d) {
        case F32 -> src.asFloatBuffer().get(dst, off, n);
        case BF16, F16 -> {
          short[] tmp = new short[Math.min(n, CHUNK)];
          var shorts = src.asShortBuffer();
          for (int i = 0; i < n; i += tmp.length) {
            int k = Math.min(tmp.length, n - i);
            shorts.get(tmp, 0, k);
            if (d == Dtype.BF16) {
              Bf16.toFloats(tmp, 0, dst, off + i, k);
            } else {
              for (int j = 0; j < k; j++) {
                dst[off + i + j] = Fp16.toFloat(tmp[j]);
              }
            }
          }
        }
        case F64 -> {
          var doubles = src.asDoubleBuffer();
          for (int i = 0; i < n; i++) {
            dst[off + i] = (float) doubles.get(i);
          }
        }
        default -> {
          long[] tmp = new long[n];
          toLongs(src, d, tmp);
          for (int i = 0; i < n; i++) {
            dst[off + i] = tmp[i];
          }
        }
      }
    }

    static void toLongs(ByteBuffer src, Dtype d, long[] dst) {
      int p = src.position();
      for (int i = 0; i < dst.length; i++) {
        dst[i] = switch (d) {
          case I64 -> src.getLong(p + 8 * i);
          case I32 -> src.getInt(p + 4 * i);
          case I16 -> src.getShort(p + 2 * i);
          case I8 -> src.get(p + i);
          case U8, BOOL -> src.get(p + i) & 0xff;
          default -> throw new IllegalArgumentException(d + " is not an integer type");
        };
      }
    }
  }
}
