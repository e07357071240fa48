package org.olmo4j.model;

import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The native memory of {@link FlatVector}s: the bytes of every open vector of this JVM and their
 * most since the last reset (memory accounting), and freeing a direct buffer now rather than at
 * some later garbage collection.
 */
public final class VectorMemory {

  private static final AtomicLong LIVE = new AtomicLong();
  private static final AtomicLong PEAK = new AtomicLong();
  private static final sun.misc.Unsafe UNSAFE = load();

  private VectorMemory() {}

  static void opened(long bytes) {
    PEAK.accumulateAndGet(LIVE.addAndGet(bytes), Math::max);
  }

  static void closed(long bytes) {
    LIVE.addAndGet(-bytes);
  }

  /** Bytes of all vectors of this JVM not yet closed (native memory; memory accounting). */
  public static long liveBytes() {
    return LIVE.get();
  }

  /** The most {@link #liveBytes()} reached since the last {@link #resetPeak()}. */
  public static long peakBytes() {
    return PEAK.get();
  }

  /** Starts a new peak at the bytes live now. */
  public static void resetPeak() {
    PEAK.set(LIVE.get());
  }

  /** Releases a direct buffer's memory through the JDK's cleaner (sun.misc.Unsafe#invokeCleaner). */
  static void free(ByteBuffer b) {
    if (UNSAFE != null) {
      UNSAFE.invokeCleaner(b);
    }
  }

  private static sun.misc.Unsafe load() {
    try {
      Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
      f.setAccessible(true);
      return (sun.misc.Unsafe) f.get(null);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null; // then the garbage collector frees the memory, later
    }
  }
}
