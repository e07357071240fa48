package org.olmo4j.config;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;

/**
 * OLMo's {@code SchedulerConfig}: learning-rate schedule and gradient-clipping warmup.
 * {@code t_warmup}, {@code t_max} and {@code grad_clip_warmup_steps} count {@code units}: steps,
 * or tokens (then the schedule follows the tokens seen, as OLMo's trainer does).
 */
public record SchedulerConfig(
    SchedulerName name,
    SchedulerUnits units,
    @JsonDeserialize(using = WholeNumberJson.class) long tWarmup,
    double alphaF,
    /* nullable: the run's length */ @JsonDeserialize(using = WholeNumberJson.class) Long tMax,
    /* nullable: 0.1 * learning_rate, as OLMo */ Double warmupMinLr,
    /* nullable */ @JsonDeserialize(using = WholeNumberJson.class) Long gradClipWarmupSteps,
    /* nullable */ Double gradClipWarmupFactor) {}
