package org.olmo4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.config.MemmapDtype;

/** Each way a run's data can change names its key; the same files elsewhere are the same data. */
class DataSignatureTest {

  @TempDir Path tmp;

  private Path file(String dir, String name, int bytes) throws Exception {
    Path p = Files.createDirectories(tmp.resolve(dir)).resolve(name);
    Files.write(p, new byte[bytes]);
    return p;
  }

  @Test
  void theFirstDifferenceIsNamedByItsKey() throws Exception {
    Path a = file("x", "a.npy", 100);
    Path b = file("x", "b.npy", 200);
    DataSignature saved = DataSignature.of(List.of(a, b), MemmapDtype.UINT16, 256, 1);
    DataSignature moved = DataSignature.of(List.of(file("y", "a.npy", 100),
        file("y", "b.npy", 200)), MemmapDtype.UINT16, 256, 1);
    assertEquals(saved.fingerprint(), moved.fingerprint(), "names and sizes, not folders");
    assertNull(saved.differenceTo(moved));

    assertEquals("data.memmap_dtype uint16 → uint32",
        saved.differenceTo(DataSignature.of(List.of(a, b), MemmapDtype.UINT32, 256, 1)));
    assertEquals("model.max_sequence_length 256 → 512",
        saved.differenceTo(DataSignature.of(List.of(a, b), MemmapDtype.UINT16, 512, 1)));
    assertEquals("data seed (data.seed, else seed) 1 → 2",
        saved.differenceTo(DataSignature.of(List.of(a, b), MemmapDtype.UINT16, 256, 2)));
    assertEquals("data.paths file 1 of 2: a.npy (100 bytes) → b.npy (200 bytes)",
        saved.differenceTo(DataSignature.of(List.of(b, a), MemmapDtype.UINT16, 256, 1)));
    assertEquals("data.paths 2 files → 1 (b.npy (200 bytes) gone)",
        saved.differenceTo(DataSignature.of(List.of(a), MemmapDtype.UINT16, 256, 1)));
    Path c = file("x", "c.npy", 10);
    assertEquals("data.paths 2 files → 3 (added c.npy (10 bytes))",
        saved.differenceTo(DataSignature.of(List.of(a, b, c), MemmapDtype.UINT16, 256, 1)));
  }
}
