package org.olmo4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GlobalOrderTest {
  @Test
  void eachEpochIsAPermutationOfTheUsableInstances() {
    GlobalOrder order = GlobalOrder.shuffled(103, 10, 7);
    assertEquals(100, order.instancesPerEpoch());
    assertEquals(10, order.stepsPerEpoch());
    for (int epoch = 0; epoch < 3; epoch++) {
      Set<Long> seen = new HashSet<>();
      for (long p = epoch * 100L; p < (epoch + 1) * 100L; p++) {
        long i = order.instanceAt(p);
        assertTrue(i >= 0 && i < 103);
        assertTrue(seen.add(i), "instance " + i + " repeated in epoch " + epoch);
        assertEquals(epoch, order.epochOf(p));
      }
    }
  }

  @Test
  void deterministicPerSeedAndDifferentAcrossEpochs() {
    long[] a = epoch(GlobalOrder.shuffled(50, 5, 42), 0);
    assertArrayEquals(a, epoch(GlobalOrder.shuffled(50, 5, 42), 0));
    assertFalse(Arrays.equals(a, epoch(GlobalOrder.shuffled(50, 5, 43), 0)));
    long[] second = epoch(GlobalOrder.shuffled(50, 5, 42), 1);
    assertFalse(Arrays.equals(a, second));
    // Epoch 1 of seed 42 uses perm(43): the same as epoch 0 of seed 43.
    assertArrayEquals(second, epoch(GlobalOrder.shuffled(50, 5, 43), 0));
  }

  @Test
  void permutationIsTheDocumentedFisherYates() {
    int[] perm = GlobalOrder.permutation(4, 1);
    java.util.SplittableRandom r = new java.util.SplittableRandom(1);
    int[] expected = {0, 1, 2, 3};
    for (int i = 3; i > 0; i--) {
      int j = (int) r.nextLong(i + 1);
      int t = expected[i];
      expected[i] = expected[j];
      expected[j] = t;
    }
    assertArrayEquals(expected, perm);
    assertNotEquals(0, Arrays.stream(GlobalOrder.permutation(1000, 1)).filter(v -> v != 0).count());
  }

  @Test
  void fewerInstancesThanABatchIsAnError() {
    assertThrows(DataException.class, () -> GlobalOrder.shuffled(3, 4, 0));
  }

  @Test
  void readsOlmoGlobalIndicesNpy(@TempDir Path dir) throws Exception {
    Path npy = npyUint32(dir.resolve("global_indices.npy"), 4, 2, 0, 3, 1);
    GlobalOrder order = GlobalOrder.fromGlobalIndices(npy, 5, 2);
    assertEquals(2, order.stepsPerEpoch());
    assertEquals(4, order.instanceAt(0));
    assertEquals(3, order.instanceAt(3));
    assertEquals(4, order.instanceAt(4));
    Path bad = npyUint32(dir.resolve("bad.npy"), 9, 0);
    var e = assertThrows(DataException.class,
        () -> GlobalOrder.fromGlobalIndices(bad, 5, 1).instanceAt(0));
    assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
  }

  private static long[] epoch(GlobalOrder order, int epoch) {
    long n = order.instancesPerEpoch();
    long[] out = new long[(int) n];
    for (int i = 0; i < n; i++) {
      out[i] = order.instanceAt(epoch * n + i);
    }
    return out;
  }

  static Path npyUint32(Path file, int... values) throws Exception {
    String dict = "{'descr': '<u4', 'fortran_order': False, 'shape': (" + values.length + ",), }";
    int pad = 64 - (10 + dict.length() + 1) % 64;
    String header = dict + " ".repeat(pad) + "\n";
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
    out.write(header.length() & 0xff);
    out.write(header.length() >> 8);
    out.write(header.getBytes(StandardCharsets.US_ASCII));
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int v : values) {
      b.putInt(v);
    }
    out.write(b.array());
    return Files.write(file, out.toByteArray());
  }
}
