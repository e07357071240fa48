package org.olmo4j.coordinator;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.olmo4j.node.NodeGuardian;
import org.slf4j.Logger;

/**
 * Nodes leaving the run at the next committed checkpoint: drained on SIGTERM (the node leaves by
 * itself once answered), by the operator or as a straggler (the coordinator tells the node to
 * stop).
 */
final class Departures {

  private final Map<String, ActorRef<Coordinator.Drained>> bySigterm = new LinkedHashMap<>();
  private final Map<String, ActorRef<ControlReply>> byOperator = new LinkedHashMap<>();
  private final List<String> stragglers = new ArrayList<>();

  /**
   * A node shutting down on SIGTERM: answered at once when {@code world} holds none of its ranks,
   * else it leaves at the checkpoint requested now (answered by {@link #release}).
   */
  void sigterm(String node, ActorRef<Coordinator.Drained> reply, World world, WorkerPool pool,
      Logger log) {
    if (world == null || !world.holdsRanksOn(node)) {
      pool.removeNode(node);
      reply.tell(new Coordinator.Drained(node, "held no ranks"));
      return;
    }
    log.info("node {} is leaving: checkpointing at the next step, then re-forming the world "
        + "without it", node);
    bySigterm.put(node, reply);
    world.requestCheckpoint();
  }

  void operator(String node, ActorRef<ControlReply> reply) {
    byOperator.put(node, reply);
  }

  /** A straggler's node ({@link StragglerPolicy}). */
  void straggler(String node) {
    stragglers.add(node);
  }

  boolean isEmpty() {
    return bySigterm.isEmpty() && byOperator.isEmpty() && stragglers.isEmpty();
  }

  boolean includes(String node) {
    return bySigterm.containsKey(node) || byOperator.containsKey(node) || stragglers.contains(node);
  }

  /** After checkpoint {@code step}: answers, stops the operator's and stragglers' nodes, forgets all. */
  List<String> release(long step, WorkerPool pool) {
    List<String> nodes = new ArrayList<>(bySigterm.keySet());
    String outcome = "drained at checkpoint step " + step;
    bySigterm.forEach((node, reply) -> reply.tell(new Coordinator.Drained(node, outcome)));
    byOperator.forEach((node, reply) -> {
      ActorRef<NodeGuardian.Command> guardian = pool.guardian(node);
      if (guardian != null) {
        guardian.tell(new NodeGuardian.Shutdown(0, "drained by the operator"));
      }
      reply.tell(ControlReply.done(node + " " + outcome));
      nodes.add(node);
    });
    for (String node : stragglers) {
      ActorRef<NodeGuardian.Command> guardian = pool.guardian(node);
      if (nodes.contains(node)) {
        continue; // the operator drains it too
      }
      if (guardian != null) {
        guardian.tell(new NodeGuardian.Shutdown(0, "drained as a straggler"));
      }
      nodes.add(node);
    }
    nodes.forEach(pool::removeNode);
    bySigterm.clear();
    byOperator.clear();
    stragglers.clear();
    return nodes;
  }

  /** The run ended first: the operator's drains are refused (SIGTERM drains time out by themselves). */
  void cancel(String why) {
    byOperator.values().forEach(r -> r.tell(ControlReply.refused(why)));
    byOperator.clear();
    stragglers.clear();
  }
}
