package org.olmo4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.olmo4j.io.Bf16;

/** Segmented native vectors: copies across seams, views within one, errors that name the range. */
class FlatVectorTest {

  @Test
  void copiesCrossSegmentSeams() {
    FlatVector v = FlatVector.fp32(1000, 64);
    float[] a = new float[1000];
    for (int i = 0; i < a.length; i++) {
      a[i] = i * 0.5f - 7;
    }
    v.put(0, a, 0, 1000);
    assertArrayEquals(a, v.toFloatArray());
    float[] part = new float[300];
    v.get(50, part, 0, 300);
    for (int i = 0; i < 300; i++) {
      assertEquals(a[50 + i], part[i]);
    }
    assertEquals(14, v.contiguous(50));
    assertEquals(1000 - 960, v.contiguous(960));
    assertEquals(a[70], v.view(70, 10).order(ByteOrder.nativeOrder()).getFloat(0));

    FlatVector w = FlatVector.fp32(1000, 128);
    v.copyTo(10, w, 500, 400);
    float[] got = w.toFloatArray();
    for (int i = 0; i < 400; i++) {
      assertEquals(a[10 + i], got[500 + i]);
    }
    ByteBuffer bytes = ByteBuffer.allocateDirect(200 * 4).order(ByteOrder.nativeOrder());
    for (int i = 0; i < 200; i++) {
      bytes.putFloat(i * 4, -i);
    }
    w.put(100, bytes);
    assertEquals(-199f, w.toFloatArray()[299]);

    // Adding bytes from their position on, across seams of 128: [100, 300) gets -i once more.
    bytes.position(4 * 10);
    w.add(110, bytes);
    float[] sums = w.toFloatArray();
    assertEquals(-9f, sums[109]);
    assertEquals(-20f, sums[110]);
    assertEquals(-2 * 199f, sums[299]);
    assertEquals(a[10 + 200], sums[700]);
  }

  /** The bf16 casts in and out of a bf16 vector cross its and the fp32 vector's seams. */
  @Test
  void bf16RoundingsAndWideningsCrossSegmentSeams() {
    float[] a = new float[700];
    for (int i = 0; i < a.length; i++) {
      a[i] = (i - 350) * 1.0009765625f + 1e-3f * i; // values that bf16 rounds, ties included
    }
    FlatVector bits = FlatVector.bf16(800, 64);
    bits.putRounded(50, a, 10, 690);
    short[] held = bits.toShortArray();
    for (int i = 0; i < 690; i++) {
      assertEquals(Bf16.fromFloat(a[10 + i]), held[50 + i], "element " + (50 + i));
    }
    FlatVector floats = FlatVector.fp32(900, 128);
    bits.widenTo(50, floats, 7, 690);
    float[] wide = floats.toFloatArray();
    for (int i = 0; i < 690; i++) {
      assertEquals(Bf16.round(a[10 + i]), wide[7 + i], "element " + (7 + i));
    }
    assertEquals(0f, wide[6]);
    assertEquals(0f, wide[697]);
    var e = assertThrows(IllegalArgumentException.class, () -> floats.putRounded(0, a, 0, 1));
    assertTrue(e.getMessage().contains("fp32[900]"), e.getMessage());
  }

  @Test
  void bf16VectorsHoldBits() {
    FlatVector v = FlatVector.bf16(333, 32);
    short[] bits = new short[333];
    for (int i = 0; i < bits.length; i++) {
      bits[i] = (short) (i * 977);
    }
    v.put(0, bits, 0, bits.length);
    assertArrayEquals(bits, v.toShortArray());
    assertEquals(2, v.elementBytes());
    var e = assertThrows(IllegalArgumentException.class, () -> v.put(0, new float[1], 0, 1));
    assertTrue(e.getMessage().contains("bf16[333]"), e.getMessage());
  }

  @Test
  void misuseIsNamed() {
    FlatVector v = FlatVector.fp32(100, 64);
    var cross = assertThrows(IllegalArgumentException.class, () -> v.view(60, 10));
    assertTrue(cross.getMessage().contains("segment"), cross.getMessage());
    var out = assertThrows(IndexOutOfBoundsException.class, () -> v.get(95, new float[10], 0, 10));
    assertTrue(out.getMessage().contains("[95, 105)"), out.getMessage());
    assertThrows(IllegalArgumentException.class, () -> FlatVector.fp32(10, 48));
    v.close();
    var closed = assertThrows(IllegalStateException.class, () -> v.get(0, new float[1], 0, 1));
    assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
    v.close(); // twice is fine
  }

  /**
   * Whatever malloc returns, a view's alignment is its offset's: oneMKL sums alike only for
   * operands aligned alike, so a resumed run's parameters must sit where the first run's did.
   */
  @Test
  void viewsAreAlignedByTheirOffsetAlone() {
    for (int length = 1; length < 400; length += 37) {
      FlatVector v = FlatVector.fp32(length * 16L, 256);
      FlatVector w = FlatVector.bf16(length * 16L, 256);
      for (long at = 0; at < v.length(); at += 97) {
        assertEquals(Math.floorMod(at & 255, 16) * 4, v.view(at, 1).alignmentOffset(0, 64),
            "fp32 element " + at + " of " + length * 16);
        assertEquals(Math.floorMod(at & 255, 32) * 2, w.view(at, 1).alignmentOffset(0, 64),
            "bf16 element " + at + " of " + length * 16);
      }
      v.close();
      w.close();
    }
  }

  /** A prefix shares the vector's memory across segment seams; closing it leaves the vector whole. */
  @Test
  void aPrefixSharesTheMemoryAndClosingItLeavesTheVectorWhole() {
    FlatVector whole = FlatVector.fp32(1000, 256);
    FlatVector prefix = whole.prefix(600); // three segments, the last one partly
    assertEquals(600, prefix.length());
    float[] values = new float[600];
    for (int i = 0; i < values.length; i++) {
      values[i] = i + 0.5f;
    }
    prefix.put(0, values, 0, values.length);
    float[] back = new float[600];
    whole.get(0, back, 0, back.length);
    assertArrayEquals(values, back);
    assertEquals(256 - 100, prefix.contiguous(356), "seams as in the whole vector");
    assertThrows(IndexOutOfBoundsException.class, () -> prefix.get(590, new float[20], 0, 20));
    assertThrows(IndexOutOfBoundsException.class, () -> whole.prefix(1001));
    whole.put(10, new float[] {-1f}, 0, 1);
    assertEquals(-1f, prefix.toFloatArray()[10], "writes to the whole vector show in the prefix");
    prefix.close();
    whole.put(999, new float[] {7f}, 0, 1); // still its own memory after the prefix closed
    assertEquals(599.5f, whole.toFloatArray()[599]);
    assertEquals(7f, whole.toFloatArray()[999]);
    whole.close();
  }

  /**
   * A vector viewing buffers of any lengths (autograd's gradient tensors): its elements are theirs
   * in order, in place; views stop at each buffer's end, empty buffers are skipped, and its bytes
   * count as live until it is closed, which leaves the buffers to their owner.
   */
  @Test
  void aVectorViewingBuffersReadsThemInPlaceSeamBySeam() {
    ByteBuffer a = ByteBuffer.allocateDirect(3 * 4).order(ByteOrder.nativeOrder());
    ByteBuffer empty = ByteBuffer.allocateDirect(0);
    ByteBuffer b = ByteBuffer.allocateDirect(5 * 4).order(ByteOrder.nativeOrder());
    for (int i = 0; i < 3; i++) {
      a.putFloat(i * 4, i);
    }
    for (int i = 0; i < 5; i++) {
      b.putFloat(i * 4, 10 + i);
    }
    long live = VectorMemory.liveBytes();
    FlatVector v = FlatVector.viewing(a, empty, b);
    assertEquals(live + 8 * 4, VectorMemory.liveBytes(), "its bytes count as live while open");
    assertEquals(8, v.length());
    assertArrayEquals(new float[] {0, 1, 2, 10, 11, 12, 13, 14}, v.toFloatArray());
    assertEquals(2, v.contiguous(1), "a view stops where its buffer ends");
    assertEquals(5, v.contiguous(3));
    assertEquals(1, v.contiguous(7));
    assertEquals(0, v.contiguous(8));
    assertEquals(12f, v.view(5, 2).getFloat(0));
    b.putFloat(0, -1f);
    assertEquals(-1f, v.toFloatArray()[3], "no copy: a write to the buffer shows");
    float[] across = new float[4];
    v.get(1, across, 0, 4);
    assertArrayEquals(new float[] {1, 2, -1, 11}, across);
    FlatVector copy = FlatVector.fp32(8);
    v.copyTo(0, copy, 0, 8);
    assertEquals(14f, copy.toFloatArray()[7]);
    copy.close();
    assertThrows(IllegalArgumentException.class, () -> v.view(2, 2), "a view may not cross a seam");
    assertThrows(IllegalArgumentException.class,
        () -> FlatVector.viewing(ByteBuffer.allocate(8)), "heap buffers have no address to view");
    v.close();
    assertEquals(live, VectorMemory.liveBytes(), "closing it takes its bytes off");
    assertEquals(2f, a.getFloat(8), "and leaves the buffers as they were");
  }

  /**
   * Many buffers of random lengths (some empty, one seen from a non-zero position): every element
   * is where a reference array says, every view stops at its buffer's end, and a prefix stops at
   * its own length.
   */
  @Test
  void aVectorViewingManyBuffersFindsEveryElement() {
    SplittableRandom rnd = new SplittableRandom(5);
    int parts = 40;
    ByteBuffer[] buffers = new ByteBuffer[parts];
    float[] reference = new float[40 * 30];
    int[] ends = new int[parts];
    int total = 0;
    for (int p = 0; p < parts; p++) {
      int n = p % 7 == 3 ? 0 : 1 + rnd.nextInt(29);
      int skip = p == 5 ? 3 : 0; // a buffer whose position is not 0
      ByteBuffer b = ByteBuffer.allocateDirect((skip + n) * 4).order(ByteOrder.nativeOrder());
      for (int i = 0; i < n; i++) {
        reference[total + i] = total + i + 0.25f;
        b.putFloat((skip + i) * 4, reference[total + i]);
      }
      b.position(skip * 4);
      buffers[p] = b;
      total += n;
      ends[p] = total;
    }
    FlatVector v = FlatVector.viewing(buffers);
    assertEquals(total, v.length());
    for (int at = 0; at < total; at++) {
      int end = 0;
      for (int e : ends) {
        if (e > at) {
          end = e;
          break;
        }
      }
      assertEquals(end - at, v.contiguous(at), "contiguous at " + at);
      assertEquals(reference[at], v.view(at, 1).getFloat(0), "element " + at);
    }
    FlatVector prefix = v.prefix(total - 1);
    assertEquals(1, prefix.contiguous(total - 2), "a prefix ends at its own length");
    v.close();
  }
}
