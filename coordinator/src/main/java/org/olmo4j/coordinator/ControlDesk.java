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
 * rank has stopped at the same step boundary, checkpoints until committed, a stop (node drains
 * go to {@link Departures}).
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

  /**
   * Carries out an operator's request that the state allows (telling the world's ranks), or
   * answers with the refusal. Returns true when the run should stop at once: a stop with no
   * world to checkpoint.
   */
  boolean accept(Coordinator.Control m, World world, WorkerPool pool,
      Departures departures, String self, long lastStep,
      RunEvents events, org.slf4j.Logger log) {
    String refusal = refusal(m.action(), world);
    if (refusal == null && m.action() == Coordinator.ControlAction.DRAIN) {
      refusal = pool.guardian(m.node()) == null ? "no node " + m.node() + " in the run"
          : m.node().equals(self) ? m.node() + " hosts the coordinator: use stop" : null;
    }
    if (refusal != null) {
      m.replyTo().tell(ControlReply.refused(refusal));
      return false;
    }
    log.info("operator: {}{}", m.action().name().toLowerCase(), m.node() == null ? "" : " " + m.node());
    switch (m.action()) {
      case PAUSE -> {
        pauseRequested(m.replyTo());
        world.pause();
      }
      case RESUME -> {
        resumed();
        world.resume();
        m.replyTo().tell(ControlReply.done("resumed"));
        events.notice("resumed", lastStep, "resumed by the operator");
      }
      case SAVE -> {
        saveReplies.add(m.replyTo());
        world.requestCheckpoint();
      }
      case STOP -> {
        stopping = true;
        stopReply = m.replyTo();
        if (world == null) {
          return true;
        }
        // Checkpoint the next step and pause after it (both ride on that step's all-reduce), so
        // the run stops at the step it saved.
        world.requestCheckpoint();
        if (paused) {
          resumed();
          world.resume();
        }
        world.pause();
      }
      case DRAIN -> {
        if (world == null || !world.holdsRanksOn(m.node())) {
          pool.guardian(m.node()).tell(new org.olmo4j.node.NodeGuardian.Shutdown(0, "drained by the operator"));
          pool.removeNode(m.node());
          m.replyTo().tell(ControlReply.done(m.node() + " held no ranks; it is leaving"));
          events.notice("node_drain", lastStep, "node " + m.node() + " drained by the operator "
              + "(it held no ranks)");
          return false;
        }
        events.notice("node_drain", lastStep, "node " + m.node() + " drained by the operator: it "
            + "leaves at the next checkpoint");
        departures.operator(m.node(), m.replyTo());
        world.requestCheckpoint();
      }
    }
    return false;
  }

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

  /** Why a request cannot be done now, or null if it can. */
  private String refusal(Coordinator.ControlAction action, World world) {
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

  private void pauseRequested(ActorRef<ControlReply> reply) {
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

  void resumed() {
    paused = false;
    pausedRanks.clear();
  }

  boolean stopping() {
    return stopping;
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
  }
}
