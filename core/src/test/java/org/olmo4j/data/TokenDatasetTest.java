package org.olmo4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.olmo4j.data.TokenFiles.range;
import static org.olmo4j.data.TokenFiles.write;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.config.MemmapDtype;

class TokenDatasetTest {
  @TempDir Path dir;

  @Test
  void readsUint16InstancesAndDropsTheTail() throws Exception {
    Path f = write(dir.resolve("a.npy"), MemmapDtype.UINT16, range(60000, 11));
    try (TokenDataset ds = TokenDataset.open(List.of(f), MemmapDtype.UINT16, 4, 65536, null)) {
      assertEquals(2, ds.numInstances());
      long[] row = new long[4];
      ds.readInstance(1, row);
      assertArrayEquals(new long[] {60004, 60005, 60006, 60007}, row);
      assertThrows(IndexOutOfBoundsException.class, () -> ds.readInstance(2, row));
    }
  }

  /** A file truncated under the mapping (SIGBUS in the JVM) fails the read naming the file. */
  @Test
  void aFileTruncatedDuringTheRunFailsTheReadNamingIt() throws Exception {
    Path f = write(dir.resolve("a.npy"), MemmapDtype.UINT16, range(0, 8192));
    try (TokenDataset ds = TokenDataset.open(List.of(f), MemmapDtype.UINT16, 16, 65536, null)) {
      long[] row = new long[16];
      ds.readInstance(300, row);
      ds.checkIntact();
      try (FileChannel c = FileChannel.open(f, StandardOpenOption.WRITE)) {
        c.truncate(0);
      }
      var e = assertThrows(DataException.class, () -> ds.readInstance(300, row));
      assertEquals("token file " + f + " became unreadable during the run (it has 0 bytes, 16384 "
          + "when it was opened)", e.getMessage());
      var checked = assertThrows(DataException.class, ds::checkIntact);
      assertEquals(e.getMessage(), checked.getMessage());
    }
  }

  @Test
  void readsUint32AboveTheUint16Range() throws Exception {
    Path f = write(dir.resolve("a.npy"), MemmapDtype.UINT32, 70000, 4_000_000_000L, 3, 4);
    try (TokenDataset ds =
        TokenDataset.open(List.of(f), MemmapDtype.UINT32, 2, Integer.MAX_VALUE, null)) {
      long[] flat = new long[5];
      ds.readInstance(1, flat, 3);
      assertArrayEquals(new long[] {0, 0, 0, 3, 4}, flat);
      var e = assertThrows(DataException.class, () -> ds.readInstance(0, new long[2]));
      assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("offset 1"),
          e.getMessage());
    }
  }

  @Test
  void indexesGloballyOverFilesIncludingShortOnes() throws Exception {
    Path a = write(dir.resolve("a.npy"), MemmapDtype.UINT16, range(0, 7));
    Path tiny = write(dir.resolve("tiny.npy"), MemmapDtype.UINT16, range(500, 2));
    Path empty = write(dir.resolve("empty.npy"), MemmapDtype.UINT16);
    Path b = write(dir.resolve("b.npy"), MemmapDtype.UINT16, range(100, 9));
    try (TokenDataset ds = TokenDataset.open(
        List.of(a, tiny, empty, b), MemmapDtype.UINT16, 3, 1000, null)) {
      assertEquals(2 + 0 + 0 + 3, ds.numInstances());
      long[][] expected = {{0, 1, 2}, {3, 4, 5}, {100, 101, 102}, {103, 104, 105}, {106, 107, 108}};
      for (int i = 0; i < expected.length; i++) {
        long[] row = new long[3];
        ds.readInstance(i, row);
        assertArrayEquals(expected[i], row, "instance " + i);
      }
    }
  }

  @Test
  void readsLabelMasksAlongsideTokens() throws Exception {
    Path a = write(dir.resolve("a.npy"), MemmapDtype.UINT16, range(0, 4));
    Path b = write(dir.resolve("b.npy"), MemmapDtype.UINT16, range(10, 4));
    Path ma = Files.write(dir.resolve("a.mask"), new byte[] {1, 0, 1, 1});
    Path mb = Files.write(dir.resolve("b.mask"), new byte[] {0, 0, 1, 0});
    try (TokenDataset ds =
        TokenDataset.open(List.of(a, b), MemmapDtype.UINT16, 2, 100, List.of(ma, mb))) {
      assertTrue(ds.hasLabelMasks());
      boolean[] mask = new boolean[4];
      ds.readMask(0, mask, 0);
      ds.readMask(3, mask, 2);
      assertArrayEquals(new boolean[] {true, false, true, false}, mask);
    }
  }

  @Test
  void missingFileIsNamed() {
    Path missing = dir.resolve("missing.npy");
    var e = assertThrows(DataException.class,
        () -> TokenDataset.open(List.of(missing), MemmapDtype.UINT16, 2, 100, null));
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
  }

  @Test
  void sizeNotAMultipleOfTheWidthIsNamed() throws Exception {
    Path odd = Files.write(dir.resolve("odd.npy"), new byte[] {1, 2, 3, 4, 5, 6});
    var e = assertThrows(DataException.class,
        () -> TokenDataset.open(List.of(odd), MemmapDtype.UINT32, 1, 100, null));
    assertTrue(e.getMessage().contains(odd.toString()) && e.getMessage().contains("multiple"),
        e.getMessage());
  }

  @Test
  void emptyCorpusNamesTheFiles() throws Exception {
    Path a = write(dir.resolve("short-a.npy"), MemmapDtype.UINT16, 1, 2);
    Path b = write(dir.resolve("short-b.npy"), MemmapDtype.UINT16, 3);
    var e = assertThrows(DataException.class,
        () -> TokenDataset.open(List.of(a, b), MemmapDtype.UINT16, 8, 100, null));
    assertTrue(e.getMessage().contains(a.toString()) && e.getMessage().contains(b.toString()),
        e.getMessage());
  }

  @Test
  void tokenAboveVocabSizeNamesFileAndOffset() throws Exception {
    Path f = write(dir.resolve("bad.npy"), MemmapDtype.UINT16, 1, 2, 3, 4, 5, 99, 7, 8);
    try (TokenDataset ds = TokenDataset.open(List.of(f), MemmapDtype.UINT16, 4, 50, null)) {
      ds.readInstance(0, new long[4]);
      var e = assertThrows(DataException.class, () -> ds.readInstance(1, new long[4]));
      assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("offset 5")
          && e.getMessage().contains("99"), e.getMessage());
    }
  }

  @Test
  void maskLengthMismatchNamesBothFiles() throws Exception {
    Path f = write(dir.resolve("t.npy"), MemmapDtype.UINT16, range(0, 4));
    Path m = Files.write(dir.resolve("t.mask"), new byte[] {1, 1, 1});
    var e = assertThrows(DataException.class,
        () -> TokenDataset.open(List.of(f), MemmapDtype.UINT16, 2, 100, List.of(m)));
    assertTrue(e.getMessage().contains(m.toString()) && e.getMessage().contains(f.toString()),
        e.getMessage());
  }

  @Test
  void readsAcrossMappingChunks() throws Exception {
    Path f = write(dir.resolve("chunks.npy"), MemmapDtype.UINT32, range(1, 10));
    MappedArray a = MappedArray.open(f, 0, 4, "token file", 12);
    long[] all = new long[10];
    a.read(0, all, 0, 10);
    assertArrayEquals(range(1, 10), all);
  }
}
