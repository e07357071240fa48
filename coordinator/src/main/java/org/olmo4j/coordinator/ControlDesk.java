package org.olmo4j.coordinator;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The operator's requests the coordinator has accepted and not yet answered: a pause until every
 * rank has stopped at the same step boundary, checkpoints until committed, a stop, node drains.
 * Decides which requests the current state allows; the coordinator carries them out.
 */
final class ControlDesk {

  private final List<ActorRef<ControlReply>> pauseReplies = new ArrayList<>();
  private final Set<Integer> pausedRanks = new HashSet<>();
  private boolean paused;
  private long pausedStep = -1;
  private final List<ActorRef<ControlReply>> saveReplies = new ArrayList<>();
  private ActorRef<ControlReply> stopReply;
  private boolean stopping;
  private final Map<String, ActorRef<ControlReply>> drains = new LinkedHashMap<>();

  /** The run's state as GetStatus reports it. */
  String state(World world, boolean finished) {
    if (finished) {
      return "finished";
    }
    if (stopping) {
      return "stopping";
    }
    if (world == null) {
      return "waiting";
    }
    return paused ? "paused" : pauseReplies.isEmpty() ? "training" : "pausing";
  }

  boolean paused() {
    return paused;
  }

  /** Why a request cannot be done now, or null if it can. */
  String refusal(Coordinator.ControlAction action, World world) {
    if (stopping) {
      return "the run is stopping";
    }
    boolean needsWorld = action != Coordinator.ControlAction.STOP
        && action != Coordinator.ControlAction.DRAIN;
    if (needsWorld && world == null) {
      return "no world is training (the coordinator is waiting for workers)";
    }
    return switch (action) {
      case PAUSE -> paused ? "already paused at step " + pausedStep
          : !pauseReplies.isEmpty() ? "a pause is already under way" : null;
      case RESUME -> paused ? null : "not paused";
      case SAVE -> paused ? "paused at step " + pausedStep + ": resume first" : null;
      case STOP, DRAIN -> null;
    };
  }

  void pauseRequested(ActorRef<ControlReply> reply) {
    pauseReplies.add(reply);
    pausedRanks.clear();
  }

  /** A rank has paused after {@code step}; true once every rank of the world has. */
  boolean rankPaused(int rank, long step, int worldSize) {
    pausedRanks.add(rank);
    if (pausedRanks.size() < worldSize || pauseReplies.isEmpty()) {
      return false;
    }
    paused = true;
    pausedStep = step;
    pauseReplies.forEach(r -> r.tell(ControlReply.done("paused after step " + step)));
    pauseReplies.clear();
    return true;
  }

  long pausedStep() {
    return pausedStep;
  }

  void resumed() {
    paused = false;
    pausedRanks.clear();
  }

  void saveRequested(ActorRef<ControlReply> reply) {
    saveReplies.add(reply);
  }

  void stopRequested(ActorRef<ControlReply> reply) {
    stopping = true;
    stopReply = reply;
  }

  boolean stopping() {
    return stopping;
  }

  void drainRequested(String node, ActorRef<ControlReply> reply) {
    drains.put(node, reply);
  }

  /** The operator's drain of {@code node}, if any (forgotten after this call). */
  ActorRef<ControlReply> drainOf(String node) {
    return drains.remove(node);
  }

  /** A checkpoint was committed: answers the save and stop requests waiting for one. */
  void committed(long step, String dir) {
    saveReplies.forEach(r -> r.tell(ControlReply.checkpoint(step, dir)));
    saveReplies.clear();
    if (stopReply != null) {
      stopReply.tell(ControlReply.checkpoint(step, dir));
      stopReply = null;
    }
  }

  /** The world ended (re-formed or the run is over): pending pauses are refused, the pause ends. */
  void worldEnded(String why) {
    pauseReplies.forEach(r -> r.tell(ControlReply.refused(why)));
    pauseReplies.clear();
    resumed();
  }

  /** The run is over: every request still waiting is answered. */
  void runEnded(String why) {
    worldEnded(why);
    saveReplies.forEach(r -> r.tell(ControlReply.refused(why)));
    saveReplies.clear();
    if (stopReply != null) {
      stopReply.tell(ControlReply.done(why));
      stopReply = null;
    }
    drains.values().forEach(r -> r.tell(ControlReply.refused(why)));
    drains.clear();
  }
}
