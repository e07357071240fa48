package org.olmo4j.config;

/**
 * How the run spreads over the Pekko cluster. {@code workers_per_node} is the one key that may
 * differ between nodes (their GPU counts differ); every other key of the config must agree.
 */
public record ClusterConfig(
    /* nullable: one per visible GPU, or 1 without GPUs */ Integer workersPerNode,
    int minWorkers,
    int maxWorkers,
    int exchangeTimeoutSeconds) {}
