package org.olmo4j.bootstrap;

import java.util.Map;
import java.util.Optional;

/**
 * How many workers this node starts, and why: an explicit {@code --cluster.workers_per_node} on
 * the command line, else the visible devices ({@link VisibleDevices}), else {@code
 * SLURM_GPUS_ON_NODE}, else the config file, else null (one per GPU DJL sees, at least one).
 */
public record WorkersPerNode(/* nullable: one per visible GPU */ Integer count, String source) {

  /**
   * @param commandLine {@code --cluster.workers_per_node} given on the command line, or null
   * @param config {@code cluster.workers_per_node} of the config file, or null
   */
  public static WorkersPerNode decide(Map<String, String> env, Integer commandLine, Integer config) {
    if (commandLine != null) {
      return new WorkersPerNode(commandLine, "--cluster.workers_per_node on the command line");
    }
    Optional<VisibleDevices> devices = VisibleDevices.read(env);
    if (devices.isPresent()) {
      return new WorkersPerNode(devices.get().count(), "one per device in "
          + devices.get().variable() + "='" + env.get(devices.get().variable()) + "'");
    }
    Integer slurmGpus = EnvValues.integer(env, "SLURM_GPUS_ON_NODE", 0, Integer.MAX_VALUE);
    if (slurmGpus != null) {
      return new WorkersPerNode(slurmGpus, "SLURM_GPUS_ON_NODE=" + slurmGpus);
    }
    if (config != null) {
      return new WorkersPerNode(config, "cluster.workers_per_node of the config");
    }
    return new WorkersPerNode(null, "one per GPU visible to libtorch (at least one)");
  }

  /** {@code 8 (one per device in ROCR_VISIBLE_DEVICES='0,1,…')}. */
  public String describe() {
    return (count == null ? "auto" : count.toString()) + " (" + source + ")";
  }
}
