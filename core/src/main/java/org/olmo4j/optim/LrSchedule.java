package org.olmo4j.optim;

import org.olmo4j.config.SchedulerConfig;
import org.olmo4j.config.SchedulerUnits;

/**
 * Learning rate as a function of the 1-based global step, with OLMo's formulas ({@code olmo/optim.py}).
 *
 * <p>OLMo's trainer increments {@code global_step} and then asks the scheduler, so step 1 is the
 * first optimizer step. With {@code scheduler.units: tokens} OLMo asks with the tokens seen after
 * the step ({@code global_train_tokens_seen}) and a t_warmup / t_max in tokens; the schedule here
 * does the same, step·tokens_per_step, rather than rounding t_warmup and t_max to steps.
 */
public sealed interface LrSchedule {

  /** The learning rate for optimizer step {@code step} (1-based). */
  double lr(long step);

  /**
   * Builds the schedule named by {@code cfg}; {@code maxSteps} is the run length (t_max default),
   * {@code tokensPerStep} converts steps to the tokens a {@code units: tokens} schedule counts.
   */
  static LrSchedule of(SchedulerConfig cfg, double learningRate, long maxSteps, long tokensPerStep) {
    if (cfg.units() == SchedulerUnits.TOKENS) {
      return new InTokens(inUnits(cfg, learningRate, maxSteps * tokensPerStep), tokensPerStep);
    }
    return inUnits(cfg, learningRate, maxSteps);
  }

  /** The schedule over the scheduler's own units; {@code max} is the run length in them. */
  private static LrSchedule inUnits(SchedulerConfig cfg, double learningRate, long max) {
    if (!(learningRate > 0)) {
      throw new IllegalArgumentException("optimizer.learning_rate must be > 0, got " + learningRate);
    }
    if (cfg.tWarmup() < 0) {
      throw new IllegalArgumentException("scheduler.t_warmup must be ≥ 0, got " + cfg.tWarmup());
    }
    double warmupMin = cfg.warmupMinLr() != null ? cfg.warmupMinLr() : 0.1 * learningRate;
    if (warmupMin < 0 || warmupMin >= learningRate) {
      throw new IllegalArgumentException("scheduler.warmup_min_lr must be in [0, learning_rate="
          + learningRate + "), got " + warmupMin);
    }
    Warmup warmup = new Warmup(warmupMin, learningRate, cfg.tWarmup());
    long tMax = cfg.tMax() != null ? cfg.tMax() : max;
    double etaMin = learningRate * cfg.alphaF();
    return switch (cfg.name()) {
      case COSINE_WITH_WARMUP -> new CosineWithWarmup(warmup, etaMin, tMax);
      case LINEAR_WITH_WARMUP -> new LinearWithWarmup(warmup, etaMin, tMax);
      case INVERSE_SQRT_WITH_WARMUP -> {
        if (cfg.tWarmup() == 0) {
          throw new IllegalArgumentException("scheduler.t_warmup must be > 0 for inverse_sqrt_with_warmup");
        }
        yield new InverseSqrtWithWarmup(warmup);
      }
      case CONSTANT -> new Constant(learningRate);
    };
  }

  /**
   * OLMo's gradient-clipping warmup: {@code grad_clip_warmup_factor · maxGradNorm} while the step
   * (or its tokens, with {@code units: tokens}) is ≤ {@code grad_clip_warmup_steps}, else
   * {@code maxGradNorm}; null means no clipping.
   */
  static Double maxGradNorm(SchedulerConfig cfg, Double maxGradNorm, long step, long tokensPerStep) {
    long current = cfg.units() == SchedulerUnits.TOKENS ? step * tokensPerStep : step;
    if (maxGradNorm == null
        || cfg.gradClipWarmupSteps() == null
        || cfg.gradClipWarmupFactor() == null
        || current > cfg.gradClipWarmupSteps()) {
      return maxGradNorm;
    }
    return cfg.gradClipWarmupFactor() * maxGradNorm;
  }

  /** OLMo's linear warmup from {@code minLr} to {@code lr} over {@code steps} steps. */
  record Warmup(double minLr, double lr, long steps) {
    boolean covers(long step) {
      return step < steps;
    }

    double at(long step) {
      return minLr + (lr - minLr) * Math.min(step, steps) / steps;
    }
  }

  /** Warmup, then half a cosine from lr down to {@code etaMin} at {@code tMax}, then flat. */
  record CosineWithWarmup(Warmup warmup, double etaMin, long tMax) implements LrSchedule {
    @Override
    public double lr(long step) {
      if (warmup.covers(step)) {
        return warmup.at(step);
      }
      if (step >= tMax) {
        return etaMin;
      }
      double progress = (double) (step - warmup.steps()) / (tMax - warmup.steps());
      return etaMin + (warmup.lr() - etaMin) * (1 + Math.cos(Math.PI * progress)) / 2;
    }
  }

  /** Warmup, then a straight line from lr down to {@code etaMin} at {@code tMax}, then flat. */
  record LinearWithWarmup(Warmup warmup, double etaMin, long tMax) implements LrSchedule {
    @Override
    public double lr(long step) {
      if (warmup.covers(step)) {
        return warmup.at(step);
      }
      if (step >= tMax) {
        return etaMin;
      }
      double progress = (double) (step - warmup.steps()) / (tMax - warmup.steps());
      return warmup.lr() - (warmup.lr() - etaMin) * progress;
    }
  }

  /** Warmup, then {@code lr·sqrt(t_warmup / step)}. */
  record InverseSqrtWithWarmup(Warmup warmup) implements LrSchedule {
    @Override
    public double lr(long step) {
      if (warmup.covers(step)) {
        return warmup.at(step);
      }
      return warmup.lr() * Math.sqrt((double) warmup.steps() / Math.max(warmup.steps(), step));
    }
  }

  /** A schedule over tokens, asked at step·tokensPerStep: the tokens seen after the step. */
  record InTokens(LrSchedule overTokens, long tokensPerStep) implements LrSchedule {
    @Override
    public double lr(long step) {
      return overTokens.lr(step * tokensPerStep);
    }
  }

  /** The same learning rate at every step (OLMo's constant scheduler has no warmup). */
  record Constant(double lr) implements LrSchedule {
    @Override
    public double lr(long step) {
      return lr;
    }
  }
}
