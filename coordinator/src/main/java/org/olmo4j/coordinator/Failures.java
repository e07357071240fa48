package org.olmo4j.coordinator;

import java.time.Duration;
import java.util.Optional;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * What follows a failed world: the count of failed worlds in a row (the run gives up after
 * {@link #MAX_FAILED_WORLDS}), the settle before the next world is formed, and the timing of
 * the recovery from detection to the first completed step.
 */
final class Failures {

  /**
   * After a rank fails on the data plane (typically: a peer died), wait at most this long for the
   * failure detector to name the dead node before forming the next world, so it is not formed with
   * the dead node again. Slightly above the failure detector's acceptable heartbeat pause; it ends
   * early when the detector names a node of the pool (unreachable or gone) before that.
   */
  static final Duration SETTLE = Duration.ofSeconds(6);

  /** Consecutive failed worlds (no step completed) before the run gives up. */
  static final int MAX_FAILED_WORLDS = 5;

  private final TimerScheduler<Coordinator.Command> timers;
  private final Coordinator.Command settleTimeout;
  private int failedWorlds;
  private boolean settling;
  private Recovery recovery;
  private double lastRecoverySeconds = Double.NaN;

  /** {@code settleTimeout}: the message the coordinator gets when a settle runs out. */
  Failures(TimerScheduler<Coordinator.Command> timers, Coordinator.Command settleTimeout) {
    this.timers = timers;
    this.settleTimeout = settleTimeout;
  }

  /** A rank of the world failed: true when the run gives up, else the settle starts. */
  boolean worldFailed(boolean fatal) {
    if (fatal || ++failedWorlds >= MAX_FAILED_WORLDS) {
      return true;
    }
    settling = true;
    timers.startSingleTimer(settleTimeout, SETTLE);
    return false;
  }

  /** No world may form while settling. */
  boolean settling() {
    return settling;
  }

  /** The settle is over (its timer ran out, or the lost node is named); true if one was running. */
  boolean settled() {
    boolean was = settling;
    settling = false;
    timers.cancel(settleTimeout);
    return was;
  }

  /** The coordinator learned of a failure (or took over a run): the recovery clock starts. */
  void detected(String reason) {
    recovery = Recovery.detected(reason);
  }

  /** The next world was assigned. */
  void reformed() {
    recovery = recovery == null ? null : recovery.reformed();
  }

  /** Every rank of the new world has loaded its shard; the recovery so far (null: none), for world.json. */
  Recovery loaded() {
    recovery = recovery == null ? null : recovery.loaded();
    return recovery;
  }

  /** A step of a world starting at {@code worldStart} completed: the recovery's summary, once. */
  Optional<String> stepDone(long step, long worldStart) {
    failedWorlds = 0;
    if (recovery == null || step <= worldStart) {
      return Optional.empty();
    }
    String summary = recovery.firstStepDone();
    lastRecoverySeconds = (System.nanoTime() - recovery.detectedNanos()) / 1e9;
    recovery = null;
    return Optional.of(summary);
  }

  /** Seconds from detection to the first completed step of the last recovery (NaN: none yet). */
  double lastRecoverySeconds() {
    return lastRecoverySeconds;
  }
}
