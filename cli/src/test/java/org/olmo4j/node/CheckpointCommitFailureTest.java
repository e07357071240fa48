package org.olmo4j.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.checkpoint.CheckpointStore;
import org.slf4j.LoggerFactory;

/**
 * A step whose shards are written but whose commit fails (here: {@code step20/} is already there,
 * left by an earlier run, and a commit never overwrites one): one error line, the run goes on,
 * the next checkpoints commit, and the directory in the way is left as it was.
 */
class CheckpointCommitFailureTest {

  @TempDir Path tmp;

  @Test
  void aFailedCommitIsOneLineAndTheRunGoesOn() throws Exception {
    Path data = ClusterRuns.writeTokens(tmp);
    Path save = tmp.resolve("run");
    Path inTheWay = Files.createDirectories(save.resolve("step20"));
    Files.writeString(inTheWay.resolve("notes.txt"), "an earlier run's\n");
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    log.start();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.addAppender(log);
    try {
      List<Double> losses = ClusterRuns.runInJvm(ClusterRuns.config(
          ClusterRuns.yaml(data, save, 1, 1, 30, 10)));
      assertEquals(30, losses.size(), "every step trained");
    } finally {
      root.detachAppender(log);
    }
    List<String> errors = log.list.stream().filter(e -> e.getLevel() == Level.ERROR)
        .map(ILoggingEvent::getFormattedMessage).toList();
    assertEquals(1, errors.size(), String.join("\n", errors));
    System.out.println("the error line: " + errors.get(0));
    CheckpointStore store = new CheckpointStore(save);
    Path staging = store.tmpDir(20, 1); // the run's one world
    assertEquals("checkpoint of step 20 failed: committing " + staging
        + " failed: CheckpointException: " + inTheWay + " already exists; refusing to overwrite a "
        + "committed checkpoint; training goes on, step10 stays the latest checkpoint and the next "
        + "save_interval tries again", errors.get(0));

    assertEquals("step30", Files.readString(save.resolve(CheckpointStore.LATEST)).strip());
    CheckpointStore.verify(store.stepDir(10));
    CheckpointStore.verify(store.stepDir(30));
    assertEquals(List.of(inTheWay.resolve("notes.txt")), Files.list(inTheWay).toList(),
        "the directory in the way is untouched");
    assertFalse(Files.exists(staging), "the failed step's staging was removed");
    assertTrue(store.latest().orElseThrow().endsWith("step30"));
  }
}
