package org.olmo4j.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.olmo4j.config.SchedulerConfig;
import org.olmo4j.config.SchedulerName;
import org.olmo4j.config.SchedulerUnits;

class LrScheduleTest {

  private static final double LR = 1e-3;
  private static final double TOL = 1e-15;

  private static SchedulerConfig sched(SchedulerName name, long warmup, Long tMax, Double warmupMin) {
    return new SchedulerConfig(name, SchedulerUnits.STEPS, warmup, 0.1, tMax, warmupMin, null, null);
  }

  @Test
  void cosineWithWarmup() {
    LrSchedule s = LrSchedule.of(sched(SchedulerName.COSINE_WITH_WARMUP, 10, null, null), LR, 110, 1);
    assertEquals(1e-4, s.lr(0), TOL); // warmup starts at 0.1·lr
    assertEquals(1e-4 + 9e-4 * 0.1, s.lr(1), TOL);
    assertEquals(5.5e-4, s.lr(5), TOL);
    assertEquals(1e-3, s.lr(10), TOL); // end of warmup: full lr
    assertEquals(1e-4 + 9e-4 * (1 + Math.cos(Math.PI / 4)) / 2, s.lr(35), TOL);
    assertEquals(5.5e-4, s.lr(60), TOL); // half way down the cosine
    assertEquals(1e-4, s.lr(110), TOL); // t_max: eta_min = alpha_f·lr
    assertEquals(1e-4, s.lr(500), TOL); // past the end
  }

  @Test
  void cosineHonoursExplicitTMax() {
    LrSchedule s = LrSchedule.of(sched(SchedulerName.COSINE_WITH_WARMUP, 10, 50L, null), LR, 1000, 1);
    assertEquals(5.5e-4, s.lr(30), TOL);
    assertEquals(1e-4, s.lr(50), TOL);
  }

  @Test
  void linearWithWarmup() {
    LrSchedule s = LrSchedule.of(sched(SchedulerName.LINEAR_WITH_WARMUP, 10, null, 0.0), LR, 110, 1);
    assertEquals(0.0, s.lr(0), TOL); // explicit warmup_min_lr
    assertEquals(5e-4, s.lr(5), TOL);
    assertEquals(1e-3, s.lr(10), TOL);
    assertEquals(7.75e-4, s.lr(35), TOL);
    assertEquals(5.5e-4, s.lr(60), TOL);
    assertEquals(1e-4, s.lr(110), TOL);
    assertEquals(1e-4, s.lr(111), TOL);
  }

  @Test
  void inverseSqrtWithWarmup() {
    LrSchedule s = LrSchedule.of(sched(SchedulerName.INVERSE_SQRT_WITH_WARMUP, 10, null, null), LR, 110, 1);
    assertEquals(1e-4, s.lr(0), TOL);
    assertEquals(5.5e-4, s.lr(5), TOL);
    assertEquals(1e-3, s.lr(10), TOL);
    assertEquals(5e-4, s.lr(40), TOL);
    assertEquals(1e-4, s.lr(1000), TOL);
  }

  @Test
  void constantIgnoresWarmup() {
    LrSchedule s = LrSchedule.of(sched(SchedulerName.CONSTANT, 10, null, null), LR, 110, 1);
    for (long step : new long[] {0, 1, 10, 110, 10_000}) {
      assertEquals(LR, s.lr(step), 0.0);
    }
  }

  @Test
  void rejectsWarmupMinAboveLr() {
    var cfg = sched(SchedulerName.COSINE_WITH_WARMUP, 10, null, 2e-3);
    var e = assertThrows(IllegalArgumentException.class, () -> LrSchedule.of(cfg, LR, 100, 1));
    assertEquals(true, e.getMessage().contains("warmup_min_lr"));
  }

  @Test
  void gradClipWarmup() {
    var cfg = new SchedulerConfig(SchedulerName.CONSTANT, SchedulerUnits.STEPS, 0, 0.1, null, null,
        5L, 10.0);
    assertEquals(10.0, LrSchedule.maxGradNorm(cfg, 1.0, 1, 1));
    assertEquals(10.0, LrSchedule.maxGradNorm(cfg, 1.0, 5, 1));
    assertEquals(1.0, LrSchedule.maxGradNorm(cfg, 1.0, 6, 1));
    assertNull(LrSchedule.maxGradNorm(cfg, null, 1, 1));
    var noWarmup = sched(SchedulerName.CONSTANT, 0, null, null);
    assertEquals(1.0, LrSchedule.maxGradNorm(noWarmup, 1.0, 1, 1));
  }

  /** OLMo 2's form: t_warmup and t_max in tokens, asked with the tokens seen after each step. */
  @Test
  void tokenUnitsFollowTheTokensSeen() {
    long tokensPerStep = 1000;
    var inTokens = new SchedulerConfig(SchedulerName.COSINE_WITH_WARMUP, SchedulerUnits.TOKENS,
        10_500, 0.1, 110_000L, null, null, null);
    var inSteps = sched(SchedulerName.COSINE_WITH_WARMUP, 10_500, 110_000L, null);
    LrSchedule tokens = LrSchedule.of(inTokens, LR, 1_000_000, tokensPerStep);
    LrSchedule overTokens = LrSchedule.of(inSteps, LR, 1, 1);
    for (long step : new long[] {1, 5, 10, 11, 12, 60, 110, 111, 500}) {
      assertEquals(overTokens.lr(step * tokensPerStep), tokens.lr(step), 0.0, "step " + step);
    }
    assertEquals(1e-4 + 9e-4 * 5 / 10.5, tokens.lr(5), TOL); // warmup ends between steps 10 and 11
    assertEquals(1e-4, tokens.lr(110), TOL); // t_max: 110 000 tokens = step 110
  }

  @Test
  void tokenUnitsDefaultTMaxIsTheRunsTokens() {
    var cfg = new SchedulerConfig(SchedulerName.LINEAR_WITH_WARMUP, SchedulerUnits.TOKENS, 0, 0.1,
        null, 0.0, null, null);
    LrSchedule s = LrSchedule.of(cfg, LR, 100, 64);
    assertEquals(5.5e-4, s.lr(50), TOL);
    assertEquals(1e-4, s.lr(100), TOL);
  }

  @Test
  void gradClipWarmupCountsTokensWithTokenUnits() {
    var cfg = new SchedulerConfig(SchedulerName.CONSTANT, SchedulerUnits.TOKENS, 0, 0.1, null, null,
        5000L, 10.0);
    assertEquals(10.0, LrSchedule.maxGradNorm(cfg, 1.0, 5, 1000));
    assertEquals(1.0, LrSchedule.maxGradNorm(cfg, 1.0, 6, 1000));
  }
}
