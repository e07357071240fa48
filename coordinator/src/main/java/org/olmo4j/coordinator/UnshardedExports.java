package org.olmo4j.coordinator;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.hf.HfExport;
import org.slf4j.Logger;

/**
 * Every {@code save_interval_unsharded} steps, the committed checkpoint is also exported as a
 * Hugging Face model ({@code stepN-unsharded/}), off the coordinator's thread.
 */
final class UnshardedExports {

  private final TrainConfig cfg;
  private final Executor blocking;
  private final Logger log;
  private CompletableFuture<Void> pending = CompletableFuture.completedFuture(null);

  UnshardedExports(TrainConfig cfg, Executor blocking, Logger log) {
    this.cfg = cfg;
    this.blocking = blocking;
    this.log = log;
  }

  /** Starts the export of the checkpoint {@code dir} of {@code step} if the interval says so. */
  void afterCommit(Path dir, long step) {
    Integer every = cfg.saveIntervalUnsharded();
    if (every == null || step % every != 0) {
      return;
    }
    Path out = dir.resolveSibling(dir.getFileName() + "-unsharded");
    CompletableFuture<Void> previous = pending;
    pending = previous.thenRunAsync(() -> {
      try {
        HfExport.fromCheckpoint(dir, cfg.model(), out);
        log.info("exported {} as a Hugging Face model to {}", dir.getFileName(), out);
      } catch (IOException | RuntimeException e) {
        log.warn("unsharded export of {} failed: {}", dir, e.getMessage());
      }
    }, blocking);
  }

  /** Completes when the exports started so far have ended (each logs its own failure). */
  CompletionStage<Void> done() {
    return pending;
  }

  /** True while an export runs or waits for the one before it. */
  boolean running() {
    return !pending.isDone();
  }
}
