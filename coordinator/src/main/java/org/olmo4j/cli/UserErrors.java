package org.olmo4j.cli;

import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import org.olmo4j.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * Prints errors a user can cause (bad config, data, checkpoint, arguments) as one clear line
 * with exit code 2; anything else is a bug and keeps its stack trace (exit code 1).
 */
final class UserErrors implements CommandLine.IExecutionExceptionHandler {

  private static final Logger log = LoggerFactory.getLogger("olmo4j");

  @Override
  public int handleExecutionException(
      Exception e, CommandLine cl, CommandLine.ParseResult parseResult) {
    if (isUserError(e)) {
      cl.getErr().println("error: " + e.getMessage());
      return 2;
    }
    log.error("olmo4j failed", e);
    return 1;
  }

  static boolean isUserError(Throwable e) {
    return e instanceof ConfigException
        || e instanceof IllegalArgumentException
        || e instanceof NoSuchFileException
        || e instanceof UncheckedIOException && e.getCause() instanceof NoSuchFileException
        || e instanceof UserFacing
        || e.getClass().getSimpleName().endsWith("DataException")
        || e.getClass().getSimpleName().endsWith("CheckpointException")
        || e.getClass().getSimpleName().equals("TrainingDivergedException");
  }

  /** Marker for exceptions whose message is meant for the user as it is. */
  interface UserFacing {}
}
