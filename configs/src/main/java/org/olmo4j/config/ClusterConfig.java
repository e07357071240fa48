package org.olmo4j.config;

import java.util.List;

/**
 * How the run spreads over the Pekko cluster. {@code workers_per_node}, {@code seed_nodes} and
 * {@code port} may differ between nodes (GPU counts and addresses differ); every other key of the
 * config must agree. With a shared secret ({@code secret_file} or {@code secret_env}) a node must
 * prove it knows the secret to be admitted, not only reach the cluster's port. {@code straggler}:
 * see {@link StragglerConfig}; {@code data_plane} (may differ between nodes): see
 * {@link DataPlaneConfig}.
 */
public record ClusterConfig(
    /* nullable: one per visible GPU, or 1 without GPUs */ Integer workersPerNode,
    int minWorkers,
    int maxWorkers,
    int exchangeTimeoutSeconds,
    /* HOST:PORT of the nodes to join; empty: from --seed-nodes, Slurm or torchrun */
    List<String> seedNodes,
    /* cluster port of the node that starts the cluster (and of every node under Slurm) */
    int port,
    /* nullable: file holding the cluster's shared secret */ String secretFile,
    /* nullable: environment variable holding it */ String secretEnv,
    /* cpu, or cuda: worker i of a node on GPU i */ DeviceKind device,
    StragglerConfig straggler,
    /* nullable: off */ Double stuckFactor,
    double stuckFloorSeconds,
    DataPlaneConfig dataPlane) {}
