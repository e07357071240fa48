package org.olmo4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.olmo4j.checkpoint.CheckpointStoreTest.LAYOUT;
import static org.olmo4j.checkpoint.CheckpointStoreTest.save;
import static org.olmo4j.checkpoint.CheckpointStoreTest.slice;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.olmo4j.model.FlatLayout;

class ShardReaderTest {

  @TempDir Path folder;

  @ParameterizedTest(name = "{0} → {1} ranks")
  @CsvSource({"1, 2", "2, 1", "2, 3", "3, 4", "4, 3", "13, 2", "2, 13", "23, 5"})
  void reshardsExactly(int oldWorld, int newWorld) throws IOException {
    Path dir = save(new CheckpointStore(folder), 100, oldWorld);
    CheckpointStore.verify(dir);
    try (ShardReader reader = ShardReader.open(dir, LAYOUT)) {
      assertEquals(oldWorld, reader.manifest().worldSize());
      long covered = 0;
      for (int r = 0; r < newWorld; r++) {
        FlatLayout.Range range = LAYOUT.shardRange(r, newWorld);
        ShardReader.ShardState s = reader.read(range);
        assertArrayEquals(slice(0, range, 100), s.master(), "master of rank " + r);
        assertArrayEquals(slice(1, range, 100), s.expAvg(), "exp_avg of rank " + r);
        assertArrayEquals(slice(2, range, 100), s.expAvgSq(), "exp_avg_sq of rank " + r);
        covered += range.length();
      }
      assertEquals(LAYOUT.totalElements(), covered);
      float[] mid = new float[9];
      reader.readMaster(7, mid, 0, 9);
      assertArrayEquals(slice(0, new FlatLayout.Range(7, 16), 100), mid);
    }
  }
}
