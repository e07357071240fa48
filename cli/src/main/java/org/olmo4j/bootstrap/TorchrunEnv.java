package org.olmo4j.bootstrap;

import java.util.Map;
import java.util.Optional;

/**
 * The torchrun-style environment ({@code MASTER_ADDR}, {@code MASTER_PORT}, {@code WORLD_SIZE},
 * {@code RANK}, {@code LOCAL_RANK}, {@code LOCAL_WORLD_SIZE}, {@code NODE_RANK}) as set by
 * torchrun, Kubernetes PyTorchJob or MosaicML-like platforms.
 */
public record TorchrunEnv(
    String masterAddr,
    int masterPort,
    int worldSize,
    /* nullable */ Integer rank,
    /* nullable */ Integer localRank,
    /* nullable */ Integer localWorldSize,
    /* nullable */ Integer nodeRank,
    boolean underTorchElastic) {

  /** The environment, or empty when neither {@code MASTER_ADDR} nor {@code MASTER_PORT} is set. */
  public static Optional<TorchrunEnv> read(Map<String, String> env) {
    String addr = EnvValues.text(env, "MASTER_ADDR");
    Integer port = EnvValues.integer(env, "MASTER_PORT", 1, 65535);
    if (addr == null && port == null) {
      return Optional.empty();
    }
    if (addr == null || port == null) {
      String missing = addr == null ? "MASTER_ADDR" : "MASTER_PORT";
      String set = addr == null ? "MASTER_PORT=" + port : "MASTER_ADDR=" + addr;
      throw new BootstrapException(missing + " is not set but " + set
          + " is: a torchrun-style launch needs both");
    }
    int worldSize = EnvValues.integer(env, "WORLD_SIZE", 1, Integer.MAX_VALUE, 1);
    Integer rank = EnvValues.integer(env, "RANK", 0, worldSize - 1);
    Integer localRank = EnvValues.integer(env, "LOCAL_RANK", 0, Integer.MAX_VALUE);
    Integer localWorldSize = EnvValues.integer(env, "LOCAL_WORLD_SIZE", 1, Integer.MAX_VALUE);
    Integer nodeRank = EnvValues.integer(env, "NODE_RANK", 0, Integer.MAX_VALUE);
    if (localRank != null && localWorldSize != null && localWorldSize > 1) {
      throw new BootstrapException("LOCAL_WORLD_SIZE=" + localWorldSize + " with LOCAL_RANK="
          + localRank + ": several olmo4j processes per node; launch runs one process per node "
          + "(torchrun --nproc_per_node=1), which starts one worker per visible device");
    }
    if (rank == null && nodeRank == null && worldSize > 1) {
      throw new BootstrapException("WORLD_SIZE=" + worldSize
          + " but neither RANK nor NODE_RANK is set: cannot tell which node starts the cluster");
    }
    boolean elastic = env.containsKey("TORCHELASTIC_RUN_ID");
    if (elastic && port == 65535) {
      throw new BootstrapException("MASTER_PORT=65535 under torchrun: the cluster port "
          + "MASTER_PORT+1 would be out of range (expected MASTER_PORT <= 65534)");
    }
    return Optional.of(new TorchrunEnv(addr, port, worldSize, rank, localRank, localWorldSize,
        nodeRank, elastic));
  }

  /** Whether this process starts the cluster: node rank 0 (local rank 0), or rank 0 without NODE_RANK. */
  public boolean startsCluster() {
    if (nodeRank != null) {
      return nodeRank == 0 && (localRank == null || localRank == 0);
    }
    return rank == null || rank == 0;
  }

  /**
   * The cluster's port: {@code MASTER_PORT} itself, since torchrun's rendezvous is not used; under
   * torchrun ({@code TORCHELASTIC_RUN_ID} set) its agent already listens there, so MASTER_PORT+1.
   */
  public int clusterPort() {
    return underTorchElastic ? masterPort + 1 : masterPort;
  }

  /** {@code torchrun env: RANK 0 of WORLD_SIZE 2, MASTER_ADDR:MASTER_PORT 10.0.0.1:29500}. */
  public String describe() {
    String who = nodeRank != null ? "NODE_RANK " + nodeRank : rank != null ? "RANK " + rank : "RANK unset";
    return "torchrun-style env: " + who + ", WORLD_SIZE " + worldSize + ", MASTER_ADDR:MASTER_PORT "
        + masterAddr + ":" + masterPort + (underTorchElastic ? " (under torchrun)" : "");
  }
}
