package org.olmo4j.coordinator;

import java.util.ArrayList;
import java.util.List;
import org.olmo4j.config.ConfigException;
import org.olmo4j.config.ConfigLoader;
import org.olmo4j.config.TrainConfig;

/** Whether a node may join the run: its resolved config must equal the coordinator's. */
final class NodeConfigs {

  /** The keys nodes may disagree on (accelerator counts and addresses differ). */
  static final List<String> PER_NODE_KEYS = List.of("cluster.workers_per_node",
      "cluster.seed_nodes", "cluster.port", "cluster.data_plane.port",
      "cluster.data_plane.advertised_host", "cluster.data_plane.advertised_port",
      "cluster.data_plane.unix_sockets");

  private NodeConfigs() {}

  /** The differing keys ({@code key: ours ≠ theirs}), empty when the node may join. */
  static List<String> differences(TrainConfig ours, String theirYaml) {
    TrainConfig theirs;
    try {
      theirs = ConfigLoader.fromYaml(theirYaml, List.of());
    } catch (ConfigException e) {
      return List.of("config does not load here: " + e.getMessage());
    }
    if (ConfigLoader.hash(ours).equals(ConfigLoader.hash(theirs))) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (String d : ConfigLoader.diff(ours, theirs)) {
      if (PER_NODE_KEYS.stream().noneMatch(k -> d.startsWith(k + ":"))) {
        out.add(d);
      }
    }
    return out;
  }
}
