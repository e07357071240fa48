package org.olmo4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.config.MemmapDtype;

class BatchReaderTest {
  @Test
  void readsConsecutivePositionsInGlobalOrder(@TempDir Path dir) throws Exception {
    // Instance i holds tokens {10i, 10i+1, 10i+2}.
    long[] tokens = new long[8 * 3];
    byte[] mask = new byte[tokens.length];
    for (int i = 0; i < 8; i++) {
      for (int j = 0; j < 3; j++) {
        tokens[3 * i + j] = 10L * i + j;
        mask[3 * i + j] = (byte) (j == i % 3 ? 1 : 0);
      }
    }
    Path f = TokenFiles.write(dir.resolve("t.npy"), MemmapDtype.UINT16, tokens);
    Path m = Files.write(dir.resolve("t.mask"), mask);
    TokenDataset ds = TokenDataset.open(List.of(f), MemmapDtype.UINT16, 3, 100, List.of(m));
    GlobalOrder order = GlobalOrder.shuffled(8, 4, 3);
    BatchReader reader = new BatchReader(ds, order);

    long[][] rows = reader.instances(6, 3);
    long[] flat = reader.flat(6, 3);
    boolean[] masks = new boolean[9];
    reader.fillMask(6, 3, masks);
    for (int r = 0; r < 3; r++) {
      long instance = order.instanceAt(6 + r);
      long[] expected = {10 * instance, 10 * instance + 1, 10 * instance + 2};
      assertArrayEquals(expected, rows[r]);
      for (int j = 0; j < 3; j++) {
        assertEquals(expected[j], flat[3 * r + j]);
        assertEquals(j == instance % 3, masks[3 * r + j]);
      }
    }
    assertThrows(IllegalArgumentException.class, () -> reader.fill(0, 2, new long[5]));
  }
}
