package org.olmo4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DurationTest {

  @Test
  void parsesOlmoForms() {
    assertEquals(new Duration(739_328, Duration.Unit.STEPS), Duration.parse("739328"));
    assertEquals(new Duration(739_328, Duration.Unit.STEPS), Duration.parse("739_328"));
    assertEquals(new Duration(2_000_000_000_000L, Duration.Unit.TOKENS), Duration.parse("2e12T"));
    assertEquals(new Duration(3, Duration.Unit.EPOCHS), Duration.parse("3ep"));
    assertEquals(new Duration(9_007_199_254_740_993L, Duration.Unit.TOKENS),
        Duration.parse("9007199254740993T"), "exact beyond double precision");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "abc", "3x", "2.5", "0", "-5", "3d", "NaN", "1e19", "T", "ep", "0x10"})
  void rejectsBadDurations(String text) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Duration.parse(text));
    assertTrue(e.getMessage().contains("is not a duration"), e.getMessage());
  }

  @Test
  void toStringIsParseable() {
    for (String s : List.of("10", "2000000000000T", "3ep")) {
      assertEquals(s, Duration.parse(s).toString());
    }
  }

  @Test
  void yamlNumbersAndStringsBothBind() {
    assertEquals(Duration.parse("739328"), load("max_duration: 739_328").maxDuration());
    assertEquals(Duration.parse("739328"), load("max_duration: 739328").maxDuration());
    assertEquals(Duration.parse("739328"), load("max_duration: '739_328'").maxDuration());
    assertEquals(Duration.parse("2e12T"), load("max_duration: 2e12T").maxDuration());
    assertEquals(Duration.parse("3ep"), load("max_duration: 3ep").maxDuration());
    assertEquals(Duration.parse("1000"), load("max_duration: 1.0e3").maxDuration());
  }

  @Test
  void toStepsRoundsTokensUp() {
    assertEquals(3, Duration.parse("10T").toSteps(4, 100));
    assertEquals(200, Duration.parse("2ep").toSteps(4, 100));
    assertEquals(7, Duration.parse("7").toSteps(4, 100));
  }

  private static TrainConfig load(String yaml) {
    return ConfigLoader.fromYaml(yaml, List.of());
  }
}
