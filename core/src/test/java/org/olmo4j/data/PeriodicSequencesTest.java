package org.olmo4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.olmo4j.config.InstanceFilterConfig;
import org.olmo4j.data.PeriodicSequences.Repetition;

/**
 * Cases worked through OLMo's {@code find_periodic_sequences} (olmo/data/util.py) by hand and
 * with numpy: rows of {@code period} compared with the row above, widened by partial rows.
 */
class PeriodicSequencesTest {

  private static List<Repetition> find(long[] t, int maxPeriod, int minPeriod) {
    return PeriodicSequences.find(t, 0, t.length, maxPeriod, minPeriod);
  }

  private static long[] of(long... t) {
    return t;
  }

  private static long[] repeat(long[] unit, int times) {
    return LongStream.range(0, (long) unit.length * times).map(i -> unit[(int) (i % unit.length)]).toArray();
  }

  private static long[] concat(long[]... parts) {
    return java.util.Arrays.stream(parts).flatMapToLong(LongStream::of).toArray();
  }

  @Test
  void aConstantRunIsFoundAtEveryPeriodThatFitsThreeTimes() {
    // Six ones: period 1 × 6 and period 2 × 3; period 3 is not tried (max period = n / 3 = 2).
    assertEquals(List.of(new Repetition(0, 6, 1, 6), new Repetition(0, 6, 2, 3)),
        find(of(1, 1, 1, 1, 1, 1), 13, 1));
  }

  @Test
  void partialRowsWidenTheRepeatOnBothSides() {
    assertEquals(List.of(new Repetition(2, 10, 2, 4)), find(of(9, 8, 1, 2, 1, 2, 1, 2, 1, 2, 7), 13, 1));
    assertEquals(List.of(new Repetition(1, 7, 2, 3)), find(of(9, 1, 2, 1, 2, 1, 2, 8, 5, 6, 4, 3), 13, 1));
    // 1 2 3 repeated 3⅔ times from offset 1: times rounds down.
    assertEquals(List.of(new Repetition(1, 12, 3, 3)),
        find(of(5, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 6, 4), 13, 1));
    assertEquals(List.of(new Repetition(3, 8, 1, 5)), find(of(3, 4, 5, 7, 7, 7, 7, 7, 6, 8, 9, 10), 13, 1));
  }

  @Test
  void fewerThanThreeRepeatsAreNotReported() {
    assertEquals(List.of(), find(of(1, 2, 1, 2, 3, 4, 5), 13, 1));
    assertEquals(List.of(new Repetition(1, 4, 1, 3)), find(of(3, 7, 7, 7, 4, 5, 6, 8, 9), 13, 1));
    assertEquals(List.of(), find(LongStream.range(0, 20).toArray(), 13, 1));
  }

  @Test
  void aLengthThatIsAMultipleOfThePeriodGetsAWholePaddingRow() {
    assertEquals(List.of(new Repetition(0, 12, 3, 4)), find(repeat(of(1, 2, 3), 4), 13, 1));
    assertEquals(List.of(new Repetition(3, 12, 1, 9), new Repetition(3, 12, 2, 4),
        new Repetition(3, 12, 3, 3)), find(concat(of(5, 6, 4), repeat(of(2), 9)), 13, 1));
  }

  @Test
  void multiplesOfThePeriodAreReportedToo() {
    long[] t = concat(of(11, 12), repeat(of(1, 2, 3), 12), of(13, 14, 15, 1, 1));
    assertEquals(List.of(new Repetition(2, 38, 3, 12), new Repetition(2, 38, 6, 6),
        new Repetition(2, 38, 9, 4), new Repetition(2, 38, 12, 3)), find(t, 13, 1));
  }

  @Test
  void randomTokensAsOlmoSeesThem() {
    long[] t = of(4, 0, 0, 1, 0, 4, 4, 2, 0, 0, 1, 2, 3, 2, 1, 0, 3, 3, 0, 0, 2, 1, 4, 2, 2, 2, 3, 2,
        0, 3, 3, 4, 3, 1, 1, 3, 3, 3, 4, 1, 4, 0, 0, 4, 4, 1, 0, 1, 0, 4, 3, 2, 1, 2, 0, 3, 2, 0, 1, 3);
    assertEquals(List.of(new Repetition(23, 26, 1, 3), new Repetition(35, 38, 1, 3)), find(t, 13, 1));
    assertEquals(List.of(), find(t, 13, 3));
  }

  @Test
  void anOffsetWindowIsSearchedAlone() {
    long[] t = concat(of(7, 7, 7, 7, 7, 7), of(9, 8, 1, 2, 1, 2, 1, 2, 1, 2, 7));
    assertEquals(List.of(new Repetition(2, 10, 2, 4)), PeriodicSequences.find(t, 6, 11, 13, 1));
  }

  @Test
  void theFilterDropsAnInstanceAtTheMaxCount() {
    InstanceFilter filter = new InstanceFilter(new InstanceFilterConfig(13, 1, 4));
    long[] fourTimes = of(9, 8, 1, 2, 1, 2, 1, 2, 1, 2, 7);
    assertFalse(filter.keeps(fourTimes, 0, fourTimes.length), "4 repeats >= max count 4");
    InstanceFilter lenient = new InstanceFilter(new InstanceFilterConfig(13, 1, 5));
    assertTrue(lenient.keeps(fourTimes, 0, fourTimes.length), "4 repeats < max count 5");
    InstanceFilter longPeriods = new InstanceFilter(new InstanceFilterConfig(13, 3, 4));
    assertTrue(longPeriods.keeps(fourTimes, 0, fourTimes.length), "period 2 is below min period 3");
  }

  @Test
  void olmoDefaultsFillMissingKeys() {
    InstanceFilterConfig c = new InstanceFilterConfig(null, null, null);
    assertEquals(13, c.repetitionMaxPeriod());
    assertEquals(1, c.repetitionMinPeriod());
    assertEquals(32, c.repetitionMaxCount());
  }
}
