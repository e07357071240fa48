package org.olmo4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.config.MemmapDtype;

/** Each way a run's data can change names itself; the same files elsewhere are the same data. */
class DataSignatureTest {

  @TempDir Path tmp;

  private Path file(String dir, String name, int bytes) throws Exception {
    Path p = Files.createDirectories(tmp.resolve(dir)).resolve(name);
    Files.write(p, new byte[bytes]);
    return p;
  }

  @Test
  void theFirstDifferenceIsNamed() throws Exception {
    Path a = file("x", "a.npy", 100);
    Path b = file("x", "b.npy", 200);
    Path m = file("x", "a.mask.npy", 50);
    DataSignature saved = DataSignature.of(List.of(a, b), List.of(m), MemmapDtype.UINT16, 256, 1);
    DataSignature moved = DataSignature.of(List.of(file("y", "a.npy", 100), file("y", "b.npy", 200)),
        List.of(file("y", "a.mask.npy", 50)), MemmapDtype.UINT16, 256, 1);
    assertEquals(saved.fingerprint(), moved.fingerprint(), "names and sizes, not folders");
    assertNull(saved.differenceTo(moved));

    assertEquals("memmap_dtype uint16 → uint32", saved.differenceTo(
        DataSignature.of(List.of(a, b), List.of(m), MemmapDtype.UINT32, 256, 1)));
    assertEquals("sequence length 256 → 512", saved.differenceTo(
        DataSignature.of(List.of(a, b), List.of(m), MemmapDtype.UINT16, 512, 1)));
    assertEquals("data seed 1 → 2", saved.differenceTo(
        DataSignature.of(List.of(a, b), List.of(m), MemmapDtype.UINT16, 256, 2)));
    assertEquals("file 1 of 3: a.npy (100 bytes) → b.npy (200 bytes)", saved.differenceTo(
        DataSignature.of(List.of(b, a), List.of(m), MemmapDtype.UINT16, 256, 1)));
    assertEquals("3 files → 2 (mask a.mask.npy (50 bytes) gone)", saved.differenceTo(
        DataSignature.of(List.of(a, b), null, MemmapDtype.UINT16, 256, 1)));
    assertEquals("3 files → 4 (added mask a.mask.npy (50 bytes))", saved.differenceTo(
        DataSignature.of(List.of(a, b), List.of(m, m), MemmapDtype.UINT16, 256, 1)));
    Path c = file("x", "c.npy", 10);
    assertEquals("file 3 of 3: mask a.mask.npy (50 bytes) → c.npy (10 bytes)", saved.differenceTo(
        DataSignature.of(List.of(a, b, c), List.of(m), MemmapDtype.UINT16, 256, 1)));
  }
}
