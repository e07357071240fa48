package org.olmo4j.config;

/**
 * How the run spreads over the Pekko cluster. {@code workers_per_node} is the one key that may
 * differ between nodes (their GPU counts differ); every other key of the config must agree. With
 * a shared secret ({@code secret_file} or {@code secret_env}) a node must prove it knows the
 * secret to be admitted, not only reach the cluster's port.
 */
public record ClusterConfig(
    /* nullable: one per visible GPU, or 1 without GPUs */ Integer workersPerNode,
    int minWorkers,
    int maxWorkers,
    int exchangeTimeoutSeconds,
    /* nullable: file holding the cluster's shared secret */ String secretFile,
    /* nullable: environment variable holding it */ String secretEnv) {}
