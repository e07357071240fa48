package org.olmo4j.node;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_DELETE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Waits for a condition on the files of a folder (a run's save folder: metrics.jsonl, world.json,
 * latest; a log), re-checked on each change the folder's watch service reports, never on a timer.
 */
public final class FileEvents {

  /** A condition that may read files; an exception reads as "not yet". */
  public interface Check {
    boolean holds() throws Exception;
  }

  private FileEvents() {}

  /**
   * Returns once {@code condition} holds; fails naming {@code what} after {@code timeout}, or
   * returns early when one of {@code stops} completes (a process exited, a system terminated) so
   * that the caller's assertion reports what happened.
   */
  public static void await(Path dir, Duration timeout, String what, Check condition,
      CompletableFuture<?>... stops) throws InterruptedException {
    await(List.of(dir), timeout, what, condition, stops);
  }

  /** As {@link #await(Path, Duration, String, Check, CompletableFuture[])}, woken by several folders. */
  public static void await(List<Path> dirs, Duration timeout, String what, Check condition,
      CompletableFuture<?>... stops) throws InterruptedException {
    try {
      try (WatchService watch = dirs.get(0).getFileSystem().newWatchService()) {
        for (Path dir : dirs) {
          Files.createDirectories(dir);
          dir.register(watch, ENTRY_CREATE, ENTRY_MODIFY, ENTRY_DELETE);
        }
        for (CompletableFuture<?> stop : stops) {
          stop.whenComplete((v, e) -> close(watch));
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!holds(condition)) {
          for (CompletableFuture<?> stop : stops) {
            if (stop.isDone()) {
              return;
            }
          }
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what);
          }
          WatchKey key = watch.poll(left, TimeUnit.NANOSECONDS);
          if (key != null) {
            key.pollEvents();
            key.reset();
          }
        }
      } catch (ClosedWatchServiceException stopped) {
        // one of the stops completed
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot watch " + dirs, e);
    }
  }

  private static boolean holds(Check condition) {
    try {
      return condition.holds();
    } catch (Exception e) {
      return false; // e.g. a file being replaced
    }
  }

  private static void close(WatchService watch) {
    try {
      watch.close();
    } catch (IOException ignored) {
      // closing only wakes the waiter
    }
  }
}
