package org.olmo4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {

  @TempDir Path dir;

  private static float[] ramp(int n, float scale) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) Math.sin(i * 0.37) * scale + i * 1e-3f;
    }
    return a;
  }

  private Path writeSample() throws IOException {
    Path f = dir.resolve("sample.safetensors");
    float[] w = ramp(6, 2f);
    float[] b = ramp(5, 100f);
    try (SafetensorsWriter out = Safetensors.create(f, List.of(
        new TensorInfo("w", Dtype.F32, new long[] {2, 3}),
        new TensorInfo("empty", Dtype.F32, new long[] {0, 4}),
        new TensorInfo("b", Dtype.BF16, new long[] {5}),
        new TensorInfo("ids", Dtype.I64, new long[] {3}),
        new TensorInfo("d", Dtype.F64, new long[] {2})), Map.of("format", "pt"))) {
      out.write(w, 0, 4); // two chunks
      out.write(w, 4, 2);
      out.write(b, 0, 5);
      out.write(new long[] {7, -1, 1L << 40}, 0, 3);
      out.write(new float[] {0.1f, -2.5f}, 0, 2);
    }
    return f;
  }

  @Test
  void roundTrip() throws IOException {
    Path f = writeSample();
    try (SafetensorsReader in = Safetensors.open(f)) {
      assertEquals(Map.of("format", "pt"), in.metadata());
      assertEquals(List.of(
          new TensorInfo("w", Dtype.F32, new long[] {2, 3}),
          new TensorInfo("empty", Dtype.F32, new long[] {0, 4}),
          new TensorInfo("b", Dtype.BF16, new long[] {5}),
          new TensorInfo("ids", Dtype.I64, new long[] {3}),
          new TensorInfo("d", Dtype.F64, new long[] {2})), in.tensors());
      assertArrayEquals(ramp(6, 2f), in.readFloats("w"));
      float[] b = ramp(5, 100f);
      Bf16.roundInPlace(b, 0, 5);
      assertArrayEquals(b, in.readFloats("b"));
      assertArrayEquals(new long[] {7, -1, 1L << 40}, in.readLongs("ids"));
      assertArrayEquals(new float[] {7, -1, 1L << 40}, in.readFloats("ids"));
      assertArrayEquals(new float[] {0.1f, -2.5f}, in.readFloats("d"));
      assertEquals(0, in.readFloats("empty").length);
    }
  }

  @Test
  void headerIsPaddedWithSpacesTo8Bytes() throws IOException {
    byte[] bytes = Files.readAllBytes(writeSample());
    long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    assertEquals(0, (8 + n) % 8);
    String json = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
    assertTrue(json.startsWith("{\"__metadata__\":{\"format\":\"pt\"}"), json);
    assertTrue(json.contains("\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}"), json);
    assertEquals('}', json.strip().charAt(json.strip().length() - 1));
    assertEquals(8 + n + 24 + 10 + 24 + 16, bytes.length);
  }

  @Test
  void rangesAcrossSmallMappingWindows() throws IOException {
    Path f = dir.resolve("big.safetensors");
    float[] a = ramp(101, 1f);
    float[] b = ramp(37, 9f);
    try (SafetensorsWriter out = Safetensors.create(f, List.of(
        new TensorInfo("a", Dtype.F32, new long[] {101}),
        new TensorInfo("b", Dtype.BF16, new long[] {37})), null)) {
      out.write(a, 0, 101);
      out.write(b, 0, 37);
    }
    Bf16.roundInPlace(b, 0, b.length);
    for (long window : new long[] {20, 24, 64, 1 << 30}) {
      try (SafetensorsReader in = SafetensorsReader.open(f, window)) {
        assertArrayEquals(a, in.readFloats("a"), "window " + window);
        assertArrayEquals(b, in.readFloats("b"), "window " + window);
        for (int from = 0; from < 101; from += 13) {
          int count = Math.min(29, 101 - from);
          float[] dst = new float[count + 2];
          in.readFloats("a", from, dst, 1, count);
          assertArrayEquals(Arrays.copyOfRange(a, from, from + count), Arrays.copyOfRange(dst, 1, count + 1));
        }
        float[] part = new float[10];
        in.readFloats("b", 27, part, 0, 10);
        assertArrayEquals(Arrays.copyOfRange(b, 27, 37), part);
      }
    }
  }

  @Test
  void readsHalfAndIntegerTypes() throws IOException {
    Path f = dir.resolve("types.safetensors");
    try (SafetensorsWriter out = Safetensors.create(f, List.of(
        new TensorInfo("h", Dtype.F16, new long[] {3}),
        new TensorInfo("i", Dtype.I32, new long[] {2}),
        new TensorInfo("u", Dtype.U8, new long[] {2}),
        new TensorInfo("m", Dtype.BOOL, new long[] {2})), Map.of())) {
      out.writeBytes(le(6).putShort((short) 0x3c00).putShort((short) 0xc000).putShort((short) 0x7bff).flip());
      out.writeBytes(le(8).putInt(-5).putInt(123456).flip());
      out.writeBytes(ByteBuffer.wrap(new byte[] {(byte) 200, 3}));
      out.writeBytes(ByteBuffer.wrap(new byte[] {1, 0}));
    }
    try (SafetensorsReader in = Safetensors.open(f)) {
      assertArrayEquals(new float[] {1f, -2f, 65504f}, in.readFloats("h"));
      assertArrayEquals(new long[] {-5, 123456}, in.readLongs("i"));
      assertArrayEquals(new float[] {200, 3}, in.readFloats("u"));
      assertArrayEquals(new long[] {1, 0}, in.readLongs("m"));
    }
  }

  private static ByteBuffer le(int n) {
    return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
  }

  @Test
  void writerRejectsTooMuchAndTooLittle() throws IOException {
    Path f = dir.resolve("w.safetensors");
    SafetensorsWriter out = Safetensors.create(f, List.of(new TensorInfo("x", Dtype.F32, new long[] {3})), null);
    var e = assertThrows(SafetensorsException.class, () -> out.write(new float[4], 0, 4));
    assertTrue(e.getMessage().contains("'x'"), e.getMessage());
    out.write(new float[2], 0, 2);
    var e2 = assertThrows(SafetensorsException.class, out::close);
    assertTrue(e2.getMessage().contains("4 bytes missing"), e2.getMessage());
  }

  /** A file with a hand-written header and {@code dataBytes} zero bytes of data. */
  private Path raw(String json, int dataBytes) throws IOException {
    byte[] h = json.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = le(8 + h.length + dataBytes).putLong(h.length).put(h);
    Path f = dir.resolve("raw.safetensors");
    Files.write(f, b.array());
    return f;
  }

  private void assertCorrupt(Path f, String expected) {
    var e = assertThrows(SafetensorsException.class, () -> Safetensors.open(f).close());
    assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  @Test
  void corruptFilesAreRejectedNamingFileAndTensor() throws IOException {
    String ok = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    try (SafetensorsReader in = Safetensors.open(raw(ok, 8))) {
      assertArrayEquals(new float[2], in.readFloats("a"));
    }
    assertCorrupt(raw(ok, 7), "truncated");
    assertCorrupt(raw(ok, 9), "trailing");
    assertCorrupt(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8),
        "tensor 'a': shape [3] × F32 is 12 bytes");
    assertCorrupt(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "tensor 'b'");
    assertCorrupt(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", 16), "must be contiguous");
    assertCorrupt(raw("{\"a\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "unsupported dtype Q4");
    assertCorrupt(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],", 8), "not valid JSON");
    assertCorrupt(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8), "bad dimension");

    Path bad = dir.resolve("hugeheader.safetensors");
    Files.write(bad, le(16).putLong(1L << 40).array());
    assertCorrupt(bad, "header length");
    Path tiny = dir.resolve("tiny.safetensors");
    Files.write(tiny, new byte[3]);
    assertCorrupt(tiny, "too short");
  }

  @Test
  void missingTensorAndBadRangeNameFileAndTensor() throws IOException {
    Path f = writeSample();
    try (SafetensorsReader in = Safetensors.open(f)) {
      var e = assertThrows(SafetensorsException.class, () -> in.readFloats("nope"));
      assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("'nope'"), e.getMessage());
      var e2 = assertThrows(SafetensorsException.class, () -> in.readFloats("w", 4, new float[3], 0, 3));
      assertTrue(e2.getMessage().contains("'w'"), e2.getMessage());
      assertThrows(SafetensorsException.class, () -> in.readLongs("w"));
    }
  }
}
