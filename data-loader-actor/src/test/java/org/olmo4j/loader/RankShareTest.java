package org.olmo4j.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RankShareTest {

  @Test
  void rankTakesItsContiguousPartOfEachStep() {
    RankShare share = new RankShare(2, 4, 10, 1000, 64, 4);
    assertEquals(16, share.rows());
    assertEquals(4, share.count());
    assertEquals(1000 + 2 * 16, share.start(10));
    assertEquals(1000 + 3 * 64 + 2 * 16, share.start(13));
  }

  @Test
  void lastMicroBatchIsShorterWhenRowsDoNotDivide() {
    RankShare share = new RankShare(0, 2, 0, 0, 12, 4);
    assertEquals(6, share.rows());
    assertEquals(2, share.count());
  }

  @Test
  void invalidWorldsAreRefusedWithTheValues() {
    var e = assertThrows(IllegalArgumentException.class, () -> new RankShare(0, 3, 0, 0, 8, 2));
    assertEquals("global_train_batch_size 8 is not divisible by the world size 3", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new RankShare(4, 4, 0, 0, 8, 2));
    assertTrue(e.getMessage().contains("rank 4 is not in a world of 4"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new RankShare(0, 1, 5, 0, 8, 2).start(4));
    assertTrue(e.getMessage().contains("step 4 is before the first step 5"), e.getMessage());
  }
}
