package org.olmo4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.model.OlmoModel;
import org.olmo4j.optim.AdamWShard;

/**
 * The loop's contract on the tiny model, one rank: when the hooks are called, and what requests
 * made from a hook do. Requests are made on the loop's thread here, so every outcome is exact.
 */
class TrainLoopTest {

  @TempDir Path tmp;

  /** What the hooks saw, as "done 1", "save 4", "eval 2", "paused 5". */
  private static final class Recorder implements TrainLoop.Hooks {

    final List<String> calls = new ArrayList<>();
    TrainLoop loop;
    /** After this step is done: ask for a checkpoint / a pause. */
    long checkpointAfter = -1;
    long pauseAfter = -1;
    /** After this step is done: ask every rank to checkpoint the next step and stop. */
    long stopAfter = -1;
    /** What to do when paused: resume, else stop. */
    boolean resumeWhenPaused = true;

    @Override
    public void stepDone(TrainLoop.Done done) {
      calls.add("done " + done.step());
      if (done.step() == checkpointAfter) {
        loop.requestCheckpoint();
      }
      if (done.step() == pauseAfter) {
        loop.requestPause();
      }
      if (done.step() == stopAfter) {
        loop.requestCheckpointAndStop();
      }
    }

    @Override
    public void saveCheckpoint(long step) {
      calls.add("save " + step);
    }

    @Override
    public boolean evalDue(long step) {
      return step % 3 == 0;
    }

    @Override
    public void evaluate(long step) {
      calls.add("eval " + step);
    }

    @Override
    public void paused(long step) {
      calls.add("paused " + step);
      if (resumeWhenPaused) {
        loop.resume(); // a resume granted before the loop waits ends that wait
      } else {
        loop.stop();
      }
    }
  }

  /** Runs steps 1..until of the tiny run with {@code hooks}; returns the last completed step. */
  private long run(long until, Recorder hooks) throws Exception {
    Path data = TinyRun.writeTokens(tmp, 40_000, 7);
    TrainConfig cfg = TinyRun.config(data, tmp.resolve("run"), "--save_interval=4");
    try (NDManager m = NDManager.newBaseManager(); TrainData d = TrainData.open(cfg)) {
      OlmoModel model = TrainStep.model(cfg, m);
      AdamWShard optimizer = new AdamWShard(model.layout(), TrainStep.plan(cfg, 0, 1),
          cfg.optimizer());
      TrainCheckpoints.initShard(cfg, model.layout(), optimizer);
      TrainStep step = TrainStep.create(cfg, model, optimizer, Collectives.single());
      try {
        step.publishParameters();
        int global = cfg.globalTrainBatchSize();
        hooks.loop = new TrainLoop(cfg, until, step, s -> d.batch((s - 1) * global, global)
            .split(cfg.deviceTrainMicrobatchSize()));
        return hooks.loop.run(0, until, hooks);
      } finally {
        model.close();
        step.close(); // after the model: its parameters are views of the step's compute copy
      }
    }
  }

  @Test
  void savesEveryIntervalAtTheEndAndWhenVotedEvaluatesAndResumesAfterAPause() throws Exception {
    Recorder hooks = new Recorder();
    hooks.checkpointAfter = 1;
    hooks.pauseAfter = 5;

    assertEquals(9, run(9, hooks));

    assertEquals(List.of("done 1", "done 2", "save 2", "done 3", "eval 3", "done 4", "save 4",
        "done 5", "done 6", "eval 6", "paused 6", "done 7", "done 8", "save 8", "done 9", "save 9",
        "eval 9"), hooks.calls);
  }

  @Test
  void aStopEndsThePauseAtItsStep() throws Exception {
    Recorder hooks = new Recorder();
    hooks.pauseAfter = 1;
    hooks.resumeWhenPaused = false;

    assertEquals(2, run(9, hooks));

    assertEquals(List.of("done 1", "done 2", "paused 2"), hooks.calls);
  }

  /** The vote a rank casts when it cannot read its next data: the step is saved, then the end. */
  @Test
  void aCheckpointAndStopVoteSavesThatStepAndEndsTheLoop() throws Exception {
    Recorder hooks = new Recorder();
    hooks.stopAfter = 4;

    assertEquals(5, run(9, hooks));

    assertEquals(List.of("done 1", "done 2", "done 3", "eval 3", "done 4", "save 4", "done 5",
        "save 5"), hooks.calls);
  }
}
