package org.olmo4j.coordinator;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.olmo4j.node.NodeGuardian;
import org.olmo4j.worker.GpuWorker;
import org.olmo4j.worker.WorkerEvent;
import org.slf4j.Logger;

/**
 * The coordinator's view of who may train: admitted nodes (config matched) and the workers
 * registered on them, in a stable rank order (node join order, then local index).
 */
final class WorkerPool {

  private final Map<String, ActorRef<NodeGuardian.Command>> nodes = new LinkedHashMap<>();
  private final Set<String> refused = new HashSet<>();
  /** Guardians and workers introduced to that have not answered yet. */
  private final Set<ActorRef<?>> awaiting = new HashSet<>();
  private final Map<ActorRef<GpuWorker.Command>, WorkerEvent.Registered> workers = new LinkedHashMap<>();
  /** Workers found stuck on a node that stays: never registered again in this run. */
  private final Set<ActorRef<GpuWorker.Command>> leftOut = new HashSet<>();

  /** The coordinator was introduced to a guardian or worker: wait for its answer. */
  void introduced(ActorRef<?> who) {
    if (!workers.containsKey(who) && !nodes.containsValue(who)) {
      awaiting.add(who);
    }
  }

  void admit(String address, ActorRef<NodeGuardian.Command> guardian) {
    awaiting.remove(guardian);
    nodes.put(address, guardian);
  }

  void refuse(String address, ActorRef<NodeGuardian.Command> guardian) {
    awaiting.remove(guardian);
    refused.add(address);
  }

  /** Some introduced guardian or worker has not answered yet. */
  boolean awaitingAnswers() {
    return !awaiting.isEmpty();
  }

  /** Gives up on the answers still missing, logging how many there were. */
  void stopAwaiting(Logger log) {
    if (!awaiting.isEmpty()) {
      log.warn("{} introduced node(s)/worker(s) did not answer; going on without them",
          awaiting.size());
    }
    awaiting.clear();
  }

  /** A worker as the log names it: {@code node#localIndex}. */
  static String describe(WorkerEvent.Registered r) {
    return r == null ? "(unregistered)" : r.node() + "#" + r.localIndex();
  }

  /** The guardian of the admitted node at {@code address}, or null. */
  ActorRef<NodeGuardian.Command> guardian(String address) {
    return nodes.get(address);
  }

  /** Every registered worker of an admitted node (in rank order) with its node. */
  List<WorkerEvent.Registered> registered() {
    return eligible();
  }

  Collection<ActorRef<NodeGuardian.Command>> guardians() {
    return nodes.values();
  }


  /** Registers a worker; true if it was not registered before (false for a left-out one). */
  boolean register(WorkerEvent.Registered r) {
    awaiting.remove(r.worker());
    return !leftOut.contains(r.worker()) && workers.put(r.worker(), r) == null;
  }

  /** Forgets a worker for the rest of the run (it was stuck; its node cannot be removed). */
  void leaveOut(ActorRef<GpuWorker.Command> worker) {
    remove(worker);
    leftOut.add(worker);
  }

  boolean isRegistered(ActorRef<GpuWorker.Command> worker) {
    return workers.containsKey(worker);
  }

  /** Forgets a stopped worker; returns its registration (null if it had none). */
  WorkerEvent.Registered remove(ActorRef<GpuWorker.Command> worker) {
    awaiting.remove(worker);
    return workers.remove(worker);
  }

  /** Forgets the workers of the node at {@code address}; returns them. */
  List<ActorRef<GpuWorker.Command>> removeWorkersOf(String address) {
    List<ActorRef<GpuWorker.Command>> out = new ArrayList<>();
    awaiting.removeIf(ref -> ref.path().address().toString().equals(address));
    workers.values().removeIf(r -> {
      boolean on = r.node().equals(address);
      if (on) {
        out.add(r.worker());
      }
      return on;
    });
    return out;
  }

  /** Forgets a node that left: its workers and its guardian. */
  void removeNode(String address) {
    removeWorkersOf(address);
    nodes.remove(address);
  }

  boolean hasWorkers() {
    return !workers.isEmpty();
  }

  /** Registered workers of admitted nodes, in rank order. */
  List<WorkerEvent.Registered> eligible() {
    List<String> nodeOrder = new ArrayList<>(nodes.keySet());
    List<WorkerEvent.Registered> out = new ArrayList<>();
    for (WorkerEvent.Registered r : workers.values()) {
      if (nodes.containsKey(r.node()) && !refused.contains(r.node())) {
        out.add(r);
      }
    }
    out.sort(Comparator.comparingInt((WorkerEvent.Registered r) -> nodeOrder.indexOf(r.node()))
        .thenComparingInt(WorkerEvent.Registered::localIndex));
    return out;
  }
}
