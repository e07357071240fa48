package org.olmo4j.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Streams a safetensors file: the header is written up front from the declared tensors, then each
 * tensor's data in declaration order, in as many chunks as the caller likes. {@link #close()}
 * checks that every tensor was written completely and forces the file to disk.
 */
public final class SafetensorsWriter implements AutoCloseable {

  private static final int BUFFER_BYTES = 8 << 20;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path file;
  private final List<TensorInfo> tensors;
  private final FileChannel channel;
  private final ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
  private int current = -1;
  private long remaining; // bytes still owed to the current tensor
  private boolean closed;
  /**
   * Early writeback: every {@link #WRITEBACK_BYTES} a background {@code force} starts, so the
   * disk works while the next chunks are converted; close() then only waits for the tail.
   * Measured: brings the writer from ~0.87 to ~1.0 of a plain write + fsync.
   */
  private static final long WRITEBACK_BYTES = 32L << 20;
  private static final java.util.concurrent.ExecutorService WRITEBACK =
      java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "safetensors-writeback");
        t.setDaemon(true);
        return t;
      });
  private long sinceForce;
  private java.util.concurrent.Future<?> forcing;

  /** Creates (or truncates) {@code file} and writes the header for {@code tensors}. */
  public static SafetensorsWriter create(Path file, List<TensorInfo> tensors, Map<String, String> metadata)
      throws IOException {
    return new SafetensorsWriter(file, tensors, metadata);
  }

  private SafetensorsWriter(Path file, List<TensorInfo> tensors, Map<String, String> metadata)
      throws IOException {
    this.file = file;
    this.tensors = List.copyOf(tensors);
    byte[] header = header(this.tensors, metadata);
    this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING);
    buf.putLong(header.length).put(header);
    advance();
  }

  private byte[] header(List<TensorInfo> list, Map<String, String> metadata) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    if (metadata != null && !metadata.isEmpty()) {
      ObjectNode meta = root.putObject(Safetensors.METADATA_KEY);
      metadata.forEach(meta::put);
    }
    Set<String> names = new HashSet<>();
    long offset = 0;
    for (TensorInfo t : list) {
      if (t.name().equals(Safetensors.METADATA_KEY) || !names.add(t.name())) {
        throw new SafetensorsException(file, "duplicate or reserved tensor name '" + t.name() + "'");
      }
      ObjectNode node = root.putObject(t.name());
      node.put("dtype", t.dtype().name());
      ArrayNode shape = node.putArray("shape");
      for (long d : t.shape()) {
        shape.add(d);
      }
      long end = offset + t.byteSize();
      node.putArray("data_offsets").add(offset).add(end);
      offset = end;
    }
    byte[] json = JSON.writeValueAsBytes(root);
    // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
    int padded = (json.length + 7) & ~7;
    byte[] out = new byte[padded];
    System.arraycopy(json, 0, out, 0, json.length);
    for (int i = json.length; i < padded; i++) {
      out[i] = ' ';
    }
    if (padded + 8 > BUFFER_BYTES) {
      throw new SafetensorsException(file, "header of " + padded + " bytes is too large");
    }
    return out;
  }

  /** Moves to the next tensor that still needs bytes (skipping empty ones). */
  private void advance() {
    while (remaining == 0 && current + 1 < tensors.size()) {
      current++;
      remaining = tensors.get(current).byteSize();
    }
    if (remaining == 0) {
      current = tensors.size();
    }
  }

  private TensorInfo currentTensor(String what) throws SafetensorsException {
    if (current >= tensors.size()) {
      throw new SafetensorsException(file, "all " + tensors.size() + " tensors are complete; cannot write " + what);
    }
    return tensors.get(current);
  }

  private TensorInfo begin(long bytes, String what) throws SafetensorsException {
    TensorInfo t = currentTensor(what);
    if (bytes > remaining) {
      throw new SafetensorsException(file, "tensor '" + t.name() + "' needs " + remaining
          + " more bytes, got " + bytes + " (" + what + ")");
    }
    return t;
  }

  private void done(long bytes) {
    remaining -= bytes;
    advance();
  }

  /** Appends {@code len} floats to the current tensor, converted to its dtype (F32, BF16 or F64). */
  public void write(float[] src, int off, int len) throws IOException {
    if (len == 0) {
      return; // nothing owed, also after the last tensor (empty shards)
    }
    TensorInfo t = currentTensor(len + " floats");
    Dtype d = t.dtype();
    begin((long) len * d.size(), len + " floats");
    int i = 0;
    while (i < len) {
      int n = Math.min(len - i, buf.remaining() / d.size());
      if (n == 0) {
        flush();
        continue;
      }
      switch (d) {
        case F32 -> buf.asFloatBuffer().put(src, off + i, n);
        case BF16 -> {
          for (int k = 0; k < n; k++) {
            buf.putShort(buf.position() + 2 * k, Bf16.fromFloat(src[off + i + k]));
          }
        }
        case F64 -> {
          for (int k = 0; k < n; k++) {
            buf.putDouble(buf.position() + 8 * k, src[off + i + k]);
          }
        }
        default -> throw new SafetensorsException(file, "tensor '" + t.name() + "' is " + d
            + "; floats can be written to F32, BF16 or F64 tensors only");
      }
      buf.position(buf.position() + n * d.size());
      i += n;
    }
    done((long) len * d.size());
  }

  /** Appends {@code len} longs to the current tensor, which must be I64. */
  public void write(long[] src, int off, int len) throws IOException {
    if (len == 0) {
      return;
    }
    TensorInfo t = begin((long) len * 8, len + " longs");
    if (t.dtype() != Dtype.I64) {
      throw new SafetensorsException(file, "tensor '" + t.name() + "' is " + t.dtype() + ", not I64");
    }
    for (int i = 0; i < len; i++) {
      if (buf.remaining() < 8) {
        flush();
      }
      buf.putLong(src[off + i]);
    }
    done((long) len * 8);
  }

  /** Appends raw little-endian bytes, already in the current tensor's dtype. */
  public void writeBytes(ByteBuffer raw) throws IOException {
    if (!raw.hasRemaining()) {
      return;
    }
    begin(raw.remaining(), raw.remaining() + " raw bytes");
    long n = raw.remaining();
    flush();
    while (raw.hasRemaining()) {
      channel.write(raw);
    }
    done(n);
  }

  private void flush() throws IOException {
    buf.flip();
    sinceForce += buf.remaining();
    while (buf.hasRemaining()) {
      channel.write(buf);
    }
    buf.clear();
    if (sinceForce >= WRITEBACK_BYTES && (forcing == null || forcing.isDone())) {
      awaitWriteback();
      sinceForce = 0;
      forcing = WRITEBACK.submit(() -> {
        channel.force(false);
        return null;
      });
    }
  }

  private void awaitWriteback() throws IOException {
    if (forcing == null) {
      return;
    }
    try {
      forcing.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while syncing " + file);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IOException("syncing " + file + " failed: " + e.getCause().getMessage(), e.getCause());
    } finally {
      forcing = null;
    }
  }

  /** Checks completeness, writes what is buffered, forces the file to disk and closes it. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try (channel) {
      flush();
      awaitWriteback();
      if (current < tensors.size()) {
        throw new SafetensorsException(file, "closed before tensor '" + tensors.get(current).name()
            + "' was complete (" + remaining + " bytes missing)");
      }
      channel.force(true);
    }
  }
}
