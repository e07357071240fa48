package org.olmo4j.config;

/** OLMo's {@code SchedulerConfig}: learning-rate schedule and gradient-clipping warmup. */
public record SchedulerConfig(
    SchedulerName name,
    int tWarmup,
    double alphaF,
    /* nullable: the run's max steps */ Integer tMax,
    /* nullable: 0.1 * learning_rate, as OLMo */ Double warmupMinLr,
    /* nullable */ Integer gradClipWarmupSteps,
    /* nullable */ Double gradClipWarmupFactor) {}
