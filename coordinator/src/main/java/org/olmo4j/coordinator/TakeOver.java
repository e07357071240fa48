package org.olmo4j.coordinator;

import java.nio.file.Path;
import org.olmo4j.worker.WorkerEvent;

/** Picks, from the workers' reports, the world of a previous coordinator to continue. */
final class TakeOver {

  private TakeOver() {}

  /**
   * The newer of {@code current} and {@code reported}: the higher generation, then the later
   * checkpoint (a commit notice may have reached only some ranks before the old coordinator
   * died). A report of a world not newer than {@code ownGeneration} is this coordinator's own.
   */
  static WorkerEvent.RestartPoint newer(WorkerEvent.RestartPoint current,
      WorkerEvent.RestartPoint reported, long ownGeneration) {
    if (reported == null || reported.generation() <= ownGeneration) {
      return current;
    }
    if (current == null || reported.generation() > current.generation()) {
      return reported;
    }
    if (reported.generation() == current.generation()
        && step(reported.checkpointDir()) > step(current.checkpointDir())) {
      return reported;
    }
    return current;
  }

  /** The step of a {@code stepN} checkpoint directory; -1 for none or another name. */
  private static long step(String dir) {
    if (dir == null) {
      return -1;
    }
    String name = Path.of(dir).getFileName().toString();
    return name.matches("step\\d+") ? Long.parseLong(name.substring(4)) : -1;
  }
}
