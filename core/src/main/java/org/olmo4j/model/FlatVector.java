package org.olmo4j.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import org.olmo4j.io.Bf16;
import org.olmo4j.io.Bf16Kernel;

/**
 * A flat vector of Ψ fp32 or bf16 elements in native memory (direct buffers, native byte order),
 * in segments of at most {@link #SEGMENT_ELEMENTS}, so that Ψ is not bounded by the 2 GiB of one
 * buffer. The full vectors of a ZeRO step (gradients, compute parameters) live here: sockets read
 * and write them without the copy a heap array costs (the JDK stages heap buffers through a direct
 * one), and DJL loads parameters from views of them. Each segment it allocates starts on a
 * 64-byte boundary ({@link AlignedBuffer}), so a view's alignment follows from its offset alone. A
 * vector may also view memory it does not own, in segments of any length ({@link #viewing}):
 * autograd's gradient tensors, reduce-scattered where they are.
 *
 * <p>Not thread-safe for overlapping writes; concurrent access to disjoint ranges is fine.
 */
public final class FlatVector implements AutoCloseable {

  /** Elements per segment: 1 GiB of fp32, 512 MiB of bf16. */
  public static final int SEGMENT_ELEMENTS = 1 << 28;


  private final long length;
  private final int elementBytes;
  private final int shift;
  private final int mask;
  private ByteBuffer[] segments;
  /** The allocations the segments are aligned slices of (what {@link #close()} frees). */
  private ByteBuffer[] owners;
  /** {@link #viewing}: each segment's first element, then the length; else null (2^shift each). */
  private final long[] starts;
  /** Made by {@link #viewing} (not a prefix): its bytes count as live while it is open. */
  private final boolean borrowed;

  private FlatVector(long length, int elementBytes, int segmentElements) {
    if (length < 0) {
      throw new IllegalArgumentException("length must be >= 0, got " + length);
    }
    if (segmentElements <= 0 || Integer.bitCount(segmentElements) != 1
        || (long) segmentElements * elementBytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("segment size must be a power of two of at most 2 GiB, got "
          + segmentElements + " elements");
    }
    this.length = length;
    this.elementBytes = elementBytes;
    this.shift = Integer.numberOfTrailingZeros(segmentElements);
    this.mask = segmentElements - 1;
    this.starts = null;
    this.borrowed = false;
    int n = (int) ((length + segmentElements - 1) / segmentElements);
    this.segments = new ByteBuffer[n];
    this.owners = new ByteBuffer[n];
    for (int s = 0; s < n; s++) {
      long elements = Math.min(segmentElements, length - ((long) s << shift));
      AlignedBuffer b = AlignedBuffer.allocate((int) (elements * elementBytes));
      segments[s] = b.memory();
      owners[s] = b.owner();
    }
    VectorMemory.opened(length * elementBytes);
  }

  /** The first {@code n} elements of {@code whole}, sharing its memory (see {@link #prefix}). */
  private FlatVector(FlatVector whole, long n) {
    this.length = n;
    this.elementBytes = whole.elementBytes;
    this.shift = whole.shift;
    this.mask = whole.mask;
    this.starts = whole.starts;
    this.borrowed = false;
    this.segments = starts != null ? whole.segments
        : Arrays.copyOf(whole.segments, (int) ((n + mask) >>> shift));
    this.owners = null; // the whole vector frees the memory
  }

  /** Segments {@code parts} in order (see {@link #viewing}). */
  private FlatVector(ByteBuffer[] parts) {
    this.elementBytes = Float.BYTES;
    this.shift = 0;
    this.mask = 0;
    this.segments = Arrays.stream(parts).map(FlatVector::fp32View).filter(ByteBuffer::hasRemaining)
        .toArray(ByteBuffer[]::new);
    this.starts = new long[segments.length + 1];
    for (int i = 0; i < segments.length; i++) {
      starts[i + 1] = starts[i] + segments[i].remaining() / Float.BYTES;
    }
    this.length = starts[segments.length];
    this.owners = null; // the buffers' owner frees them
    this.borrowed = true;
    VectorMemory.opened(length * elementBytes);
  }

  private static ByteBuffer fp32View(ByteBuffer p) {
    if (!p.isDirect() || p.remaining() % Float.BYTES != 0) {
      throw new IllegalArgumentException("a vector views whole fp32 elements of direct buffers, not "
          + p);
    }
    return p.slice().order(ByteOrder.nativeOrder());
  }

  /** {@code length} fp32 elements, zeros. */
  public static FlatVector fp32(long length) {
    return new FlatVector(length, Float.BYTES, SEGMENT_ELEMENTS);
  }

  /** {@code length} bf16 elements (their bits), zeros. */
  public static FlatVector bf16(long length) {
    return new FlatVector(length, Short.BYTES, SEGMENT_ELEMENTS);
  }

  /** As {@link #fp32(long)} with smaller segments (a power of two), so tests cross their seams. */
  public static FlatVector fp32(long length, int segmentElements) {
    return new FlatVector(length, Float.BYTES, segmentElements);
  }

  /** As {@link #bf16(long)} with smaller segments (a power of two). */
  public static FlatVector bf16(long length, int segmentElements) {
    return new FlatVector(length, Short.BYTES, segmentElements);
  }

  /**
   * An fp32 vector whose elements are those of {@code parts} (position to limit, native order),
   * one after the other, in their own memory: no copy. Its bytes count as live (see {@link
   * VectorMemory#liveBytes}) until it is closed, which frees nothing; it must not be used once the buffers'
   * owner frees them. A unit's gradients in autograd's tensors, reduce-scattered where they are.
   */
  public static FlatVector viewing(ByteBuffer... parts) {
    return new FlatVector(parts);
  }

  /** An fp32 copy of {@code a}. */
  public static FlatVector of(float[] a) {
    FlatVector v = fp32(a.length);
    v.put(0, a, 0, a.length);
    return v;
  }

  /** A bf16 copy of {@code a}. */
  public static FlatVector of(short[] a) {
    FlatVector v = bf16(a.length);
    v.put(0, a, 0, a.length);
    return v;
  }

  public long length() {
    return length;
  }

  /**
   * The first {@code n} elements as a vector of their own that shares this one's memory: a
   * buffer sized for the longest contents, reused for shorter ones. Writes through either
   * show in both; closing the prefix frees nothing, and it must not be used once this vector is
   * closed.
   */
  public FlatVector prefix(long n) {
    checkRange(0, n);
    return new FlatVector(this, n);
  }

  /** 4 for fp32, 2 for bf16. */
  public int elementBytes() {
    return elementBytes;
  }

  public boolean isFp32() {
    return elementBytes == Float.BYTES;
  }

  /** Elements from {@code at} to the end of its segment (or of the vector): the longest {@link #view}. */
  public int contiguous(long at) {
    checkRange(at, 0);
    if (starts != null) {
      return at == length ? 0 : (int) Math.min(starts[segmentIndex(at) + 1] - at, length - at);
    }
    return (int) Math.min(mask + 1 - (at & mask), length - at);
  }

  /**
   * A view of elements {@code [at, at + n)} (bytes in native order, position 0); {@code n} must not
   * exceed {@link #contiguous(long) contiguous(at)}. Writes through the view change the vector.
   */
  public ByteBuffer view(long at, int n) {
    checkRange(at, n);
    if (n == 0) {
      return ByteBuffer.allocateDirect(0).order(ByteOrder.nativeOrder());
    }
    if (n > contiguous(at)) {
      throw new IllegalArgumentException(n + " elements from " + at + " cross a segment boundary ("
          + contiguous(at) + " contiguous)");
    }
    int s = segmentIndex(at);
    long within = starts != null ? at - starts[s] : at & mask;
    return segment(s).slice((int) within * elementBytes, n * elementBytes)
        .order(ByteOrder.nativeOrder());
  }

  /** Copies {@code src[off .. off + n)} to elements {@code [at, at + n)}. */
  public void put(long at, float[] src, int off, int n) {
    checkType(Float.BYTES);
    pieces(at, n, (v, done, m) -> v.asFloatBuffer().put(src, off + done, m));
  }

  /** Copies elements {@code [at, at + n)} to {@code dst[off .. off + n)}. */
  public void get(long at, float[] dst, int off, int n) {
    checkType(Float.BYTES);
    pieces(at, n, (v, done, m) -> v.asFloatBuffer().get(dst, off + done, m));
  }

  /** Copies the elements in {@code src} (position to limit, native order) to {@code [at, ..)}. */
  public void put(long at, ByteBuffer src) {
    int bytes = src.remaining();
    if (bytes % elementBytes != 0) {
      throw new IllegalArgumentException(bytes + " bytes are not whole elements of " + this);
    }
    long n = bytes / elementBytes;
    checkRange(at, n);
    int pos = src.position();
    for (long done = 0; done < n; ) {
      int m = (int) Math.min(n - done, contiguous(at + done));
      view(at + done, m).put(0, src, pos + (int) done * elementBytes, m * elementBytes);
      done += m;
    }
  }

  /** Adds the fp32 elements in {@code src} (position to limit, native order) to {@code [at, ..)}. */
  public void add(long at, ByteBuffer src) {
    checkType(Float.BYTES);
    FloatBuffer in = src.slice().order(ByteOrder.nativeOrder()).asFloatBuffer();
    long n = in.remaining();
    checkRange(at, n);
    float[] a = new float[Math.toIntExact(Math.min(n, 16 << 10))];
    float[] b = new float[a.length];
    for (long done = 0; done < n; ) {
      int m = (int) Math.min(Math.min(n - done, a.length), contiguous(at + done));
      FloatBuffer out = view(at + done, m).asFloatBuffer();
      in.get(a, 0, m);
      out.get(0, b, 0, m);
      for (int i = 0; i < m; i++) {
        b[i] += a[i];
      }
      out.put(0, b, 0, m);
      done += m;
    }
  }

  /** Adds fp32 elements {@code [from, from + n)} to {@code acc[at .. at + n)}. */
  public void addTo(long from, float[] acc, int at, int n) {
    checkType(Float.BYTES);
    pieces(from, n, (v, done, m) -> {
      FloatBuffer in = v.asFloatBuffer();
      for (int i = 0; i < m; i++) {
        acc[at + done + i] += in.get(i);
      }
    });
  }

  /** Copies bf16 bits {@code src[off .. off + n)} to elements {@code [at, at + n)}. */
  public void put(long at, short[] src, int off, int n) {
    checkType(Short.BYTES);
    pieces(at, n, (v, done, m) -> v.asShortBuffer().put(src, off + done, m));
  }

  /** Copies the bf16 bits of elements {@code [at, at + n)} to {@code dst[off .. off + n)}. */
  public void get(long at, short[] dst, int off, int n) {
    checkType(Short.BYTES);
    pieces(at, n, (v, done, m) -> v.asShortBuffer().get(dst, off + done, m));
  }

  /**
   * Writes the bf16 roundings of {@code src[off .. off + n)} to elements {@code [at, at + n)} of
   * this bf16 vector (round to nearest even, as {@link Bf16#fromFloat}).
   */
  public void putRounded(long at, float[] src, int off, int n) {
    checkType(Short.BYTES);
    pieces(at, n, (v, done, m) -> Bf16Kernel.BEST.narrow(src, off + done, v, m));
  }

  /**
   * Widens elements {@code [from, from + n)} of this bf16 vector to fp32 elements {@code [to, to
   * + n)} of {@code dst} (exact).
   */
  public void widenTo(long from, FlatVector dst, long to, long n) {
    checkType(Short.BYTES);
    dst.checkType(Float.BYTES);
    checkRange(from, n);
    dst.checkRange(to, n);
    for (long done = 0; done < n; ) {
      int m = (int) Math.min(n - done, Math.min(contiguous(from + done), dst.contiguous(to + done)));
      Bf16Kernel.BEST.widen(view(from + done, m), dst.view(to + done, m), m);
      done += m;
    }
  }

  /** Copies elements {@code [from, from + n)} of this vector to {@code [to, to + n)} of {@code dst}. */
  public void copyTo(long from, FlatVector dst, long to, long n) {
    dst.checkType(elementBytes);
    checkRange(from, n);
    dst.checkRange(to, n);
    for (long done = 0; done < n; ) {
      int m = (int) Math.min(n - done, Math.min(contiguous(from + done), dst.contiguous(to + done)));
      dst.view(to + done, m).put(view(from + done, m));
      done += m;
    }
  }

  /** The whole vector as a new fp32 array (tests, checks). */
  public float[] toFloatArray() {
    float[] a = new float[Math.toIntExact(length)];
    get(0, a, 0, a.length);
    return a;
  }

  /** The whole vector's bf16 bits as a new array (tests, checks). */
  public short[] toShortArray() {
    short[] a = new short[Math.toIntExact(length)];
    get(0, a, 0, a.length);
    return a;
  }

  /**
   * Frees the native memory now instead of at some later garbage collection (a vector {@link
   * #viewing} other memory frees nothing: its bytes stop counting as live). Only when no thread
   * can touch the vector or a view of it any more: a later access would read freed memory.
   */
  @Override
  public void close() {
    ByteBuffer[] s = owners;
    boolean counted = segments != null && (s != null || borrowed);
    segments = null;
    owners = null;
    if (s != null) {
      for (ByteBuffer b : s) {
        VectorMemory.free(b);
      }
    }
    if (counted) {
      VectorMemory.closed(length * elementBytes);
    }
  }

  @Override
  public String toString() {
    return (isFp32() ? "fp32" : "bf16") + "[" + length + "]";
  }

  /** What is done with one piece of a range: a view of {@code m} elements, {@code done} into it. */
  private interface Piece {
    void copy(ByteBuffer view, int done, int m);
  }

  /** Splits {@code [at, at + n)} at segment seams and hands each piece's view to {@code p}. */
  private void pieces(long at, int n, Piece p) {
    checkRange(at, n);
    for (int done = 0; done < n; ) {
      int m = Math.min(n - done, contiguous(at + done));
      p.copy(view(at + done, m), done, m);
      done += m;
    }
  }

  /** The segment element {@code at} (< length) is in. */
  private int segmentIndex(long at) {
    int i = starts == null ? (int) (at >>> shift) : Arrays.binarySearch(starts, 0, starts.length - 1, at);
    return i >= 0 ? i : -i - 2;
  }

  private ByteBuffer segment(int index) {
    ByteBuffer[] s = segments;
    if (s == null) {
      throw new IllegalStateException(this + " is closed");
    }
    return s[index];
  }

  private void checkRange(long at, long n) {
    if (at < 0 || n < 0 || at + n > length || (n == 0 && at > length)) {
      throw new IndexOutOfBoundsException("elements [" + at + ", " + (at + n) + ") of " + this);
    }
  }

  private void checkType(int bytes) {
    if (bytes != elementBytes) {
      throw new IllegalArgumentException("this is " + this + ", not " + (bytes == 4 ? "fp32" : "bf16"));
    }
  }
}
