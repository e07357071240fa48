package org.olmo4j.coordinator;

import java.util.Optional;

/**
 * The checkpoints that could not be written or committed (a full disk, an I/O error): the run
 * goes on, {@code latest} keeps the previous complete checkpoint and the next save_interval tries
 * again. Counted once per step however many ranks report the step's failure, so the user sees
 * one line per failed checkpoint; the newest is reported by GetStatus and /metrics.
 */
final class CheckpointFailures {

  private long count;
  private long lastStep = -1;
  private String lastError = "";

  /** Records that step {@code step}'s checkpoint failed; true if it is news (first for the step). */
  boolean failed(long step, String error) {
    if (step == lastStep) {
      return false;
    }
    count++;
    lastStep = step;
    lastError = error;
    return true;
  }

  /** The error of step {@code step}'s checkpoint if it is the newest that failed. */
  Optional<String> errorOf(long step) {
    return step == lastStep ? Optional.of(lastError) : Optional.empty();
  }

  /** For {@link RunStatus}: the failures so far and the newest one (step -1: none). */
  RunStatus.CheckpointFailure status() {
    return new RunStatus.CheckpointFailure(count, lastStep, lastError);
  }
}
