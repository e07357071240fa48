package org.olmo4j.coordinator;

import java.util.List;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.node.NodeGuardian;
import org.slf4j.Logger;

/**
 * Which nodes may take part in the run: one that proves the cluster's shared secret and resolved
 * the same config is admitted into the pool; any other is refused, told why (it logs the
 * differing keys and exits non-zero), and downed when it lacks the secret.
 */
final class Admission {

  private final TrainConfig cfg;
  private final ClusterSecret secret;
  private final ActorSystem<?> system;
  private final Logger log;

  Admission(TrainConfig cfg, ActorSystem<?> system, Logger log) {
    this.cfg = cfg;
    this.secret = ClusterSecret.of(cfg.cluster());
    this.system = system;
    this.log = log;
  }

  /** Admits or refuses the node of {@code m}; true when it joined the pool. */
  boolean decide(Coordinator.NodeUp m, WorkerPool pool) {
    boolean proven = secret.verifies(m.address(), m.secretProof());
    List<String> diff = proven
        ? NodeConfigs.differences(cfg, m.configYaml())
        : List.of("the node did not present the cluster's shared secret (cluster.secret_file / secret_env)");
    if (!diff.isEmpty()) {
      log.error("refusing node {}: its config differs: {}", m.address(), diff);
      pool.refuse(m.address(), m.guardian());
      m.guardian().tell(new NodeGuardian.Refused(diff));
      if (!proven) {
        Cluster.get(system).manager().tell(new Down(AddressFromURIString.parse(m.address())));
      }
      return false;
    }
    pool.admit(m.address(), m.guardian());
    log.info("node {} joined the run", m.address());
    return true;
  }
}
