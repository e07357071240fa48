package org.olmo4j.bootstrap;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What Slurm tells a task about its job: the expanded node list, this task's rank and node, and
 * the GPUs allocated on its node ({@code SLURM_JOB_NODELIST}, {@code SLURM_PROCID},
 * {@code SLURM_LOCALID}, {@code SLURM_NTASKS}, {@code SLURM_NNODES}, {@code SLURM_GPUS_ON_NODE}).
 */
public record SlurmEnv(
    String jobId,
    List<String> nodes,
    int procId,
    int localId,
    int nTasks,
    int nNodes,
    /* nullable: not set without a GPU allocation */ Integer gpusOnNode,
    String thisHost) {

  /** The job's environment, or empty outside a Slurm job (no {@code SLURM_JOB_NODELIST}). */
  public static Optional<SlurmEnv> read(Map<String, String> env) {
    String listVar = env.containsKey("SLURM_JOB_NODELIST") ? "SLURM_JOB_NODELIST" : "SLURM_NODELIST";
    String list = env.get(listVar);
    if (list == null) {
      return Optional.empty();
    }
    List<String> nodes;
    try {
      nodes = Hostlist.expand(list);
    } catch (IllegalArgumentException e) {
      throw new BootstrapException(listVar + "='" + list + "' is not a Slurm hostlist: "
          + e.getMessage() + " (expected e.g. nid[001-004,007] or node1,node[3-4])");
    }
    int nNodes = EnvValues.integer(env, "SLURM_NNODES", 1, Integer.MAX_VALUE, nodes.size());
    if (nNodes != nodes.size()) {
      throw new BootstrapException("SLURM_NNODES=" + nNodes + " but " + listVar + "='" + list
          + "' names " + nodes.size() + " host(s)");
    }
    int nTasks = EnvValues.integer(env, "SLURM_NTASKS", 1, Integer.MAX_VALUE, nNodes);
    int procId = EnvValues.integer(env, "SLURM_PROCID", 0, nTasks - 1, 0);
    int localId = EnvValues.integer(env, "SLURM_LOCALID", 0, nTasks - 1, 0);
    Integer gpus = EnvValues.integer(env, "SLURM_GPUS_ON_NODE", 0, Integer.MAX_VALUE);
    Integer nodeId = EnvValues.integer(env, "SLURM_NODEID", 0, nNodes - 1);
    String host = EnvValues.text(env, "SLURMD_NODENAME");
    if (host == null) {
      // One task per node (checked by Bootstrap): task r runs on the r-th node of the list.
      host = nodes.get(nodeId != null ? nodeId : Math.min(procId, nodes.size() - 1));
    }
    return Optional.of(new SlurmEnv(env.get("SLURM_JOB_ID"), List.copyOf(nodes), procId, localId,
        nTasks, nNodes, gpus, host));
  }

  /** The host that starts the cluster: the first of the expanded node list. */
  public String seedHost() {
    return nodes.get(0);
  }

  /** {@code Slurm job 123, task 0 of 4 on nid005001}. */
  public String describe() {
    return "Slurm job " + (jobId == null ? "?" : jobId) + ", task " + procId + " of " + nTasks
        + " on " + thisHost + " (" + nNodes + " node(s))";
  }
}
