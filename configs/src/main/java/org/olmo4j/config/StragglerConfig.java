package org.olmo4j.config;

/**
 * What the coordinator does about a rank much slower than the others ({@code cluster.straggler}).
 * A rank's compute time is its step time less the time it waited in collectives (README:
 * Stragglers). With {@code drain_ratio} set, a rank whose compute time is over {@code drain_ratio}
 * times the median of the other ranks' for {@code steps} consecutive steps has its node drained
 * (checkpoint, re-form without it); null: stragglers are only reported.
 */
public record StragglerConfig(
    /* nullable: off */ Double drainRatio,
    int steps) {}
