package org.olmo4j.cli;

import java.nio.file.NoSuchFileException;
import org.olmo4j.checkpoint.CheckpointException;
import org.olmo4j.config.ConfigException;
import org.olmo4j.data.DataException;
import org.olmo4j.io.SafetensorsException;
import org.olmo4j.train.TrainingDivergedException;
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
    Throwable user = userError(e);
    if (user != null) {
      cl.getErr().println("error: " + user.getMessage());
      return 2;
    }
    log.error("olmo4j failed", e);
    return 1;
  }

  /** The first exception in the cause chain that is the user's to fix, or null. */
  static Throwable userError(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ConfigException || t instanceof DataException
          || t instanceof CheckpointException || t instanceof SafetensorsException
          || t instanceof TrainingDivergedException || t instanceof IllegalArgumentException) {
        return t;
      }
      if (t instanceof NoSuchFileException nsf) {
        return new IllegalArgumentException(nsf.getFile() + " does not exist");
      }
    }
    return null;
  }
}
