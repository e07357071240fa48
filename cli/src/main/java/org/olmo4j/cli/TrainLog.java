package org.olmo4j.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/**
 * Where a run's log lines go ({@code train}, {@code node}, {@code launch}): all of them to a file
 * in the save folder ({@code train.log}); on the console olmo4j's own lines and every warning or
 * error, while the libraries' INFO lines (Pekko's cluster membership, remoting, "Slf4jLogger
 * started", …) stay in the file unless {@code --verbose}. A picocli mixin: the commands share the
 * option and the set-up.
 */
final class TrainLog {

  /** The log of the process that starts the run; nodes that join write their own. */
  static final String FILE = "train.log";

  /** A joining node's log: a save folder shared by several machines gets one file per process. */
  static String nodeFile(String host) {
    return "train-" + host.replaceAll("[^A-Za-z0-9_.-]", "_") + "-" + ProcessHandle.current().pid() + ".log";
  }

  private static final Logger log = LoggerFactory.getLogger("olmo4j");

  @Option(names = "--verbose", description = "Also show the libraries' INFO lines (Pekko's cluster "
      + "membership, remoting, …) on the console; they always go to SAVE_FOLDER/" + FILE)
  boolean verbose;

  /**
   * Starts writing every line to {@code fileName} in {@code saveFolder} and, unless verbose,
   * keeps the libraries' INFO lines off the console; closing undoes both. When the file cannot be
   * written the console keeps every line (a line is never dropped).
   */
  Scope start(Path saveFolder, String fileName) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
      return () -> {};
    }
    Path file = saveFolder.resolve(fileName).toAbsolutePath();
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(ctx);
    encoder.setPattern("%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level %logger - %msg%n");
    encoder.start();
    FileAppender<ILoggingEvent> toFile = new FileAppender<>();
    toFile.setContext(ctx);
    toFile.setName("olmo4j-" + fileName);
    toFile.setFile(file.toString());
    toFile.setAppend(true); // a resumed run continues its log
    toFile.setEncoder(encoder);
    toFile.start();
    if (!toFile.isStarted()) {
      log.warn("cannot write {}; every log line stays on the console", file);
      return () -> {};
    }
    ch.qos.logback.classic.Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
    root.addAppender(toFile);
    List<ConsoleAppender<ILoggingEvent>> consoles = verbose ? List.of() : consoles(root);
    OursOrWarnings filter = new OursOrWarnings();
    filter.start();
    consoles.forEach(c -> c.addFilter(filter));
    log.info("log: {}{}", file, verbose ? "" : " (the libraries' INFO lines go there only; "
        + "--verbose shows them here too)");
    return () -> {
      consoles.forEach(c -> removeFilter(c, filter));
      root.detachAppender(toFile);
      toFile.stop();
    };
  }

  /** Ends what {@link #start} began. */
  interface Scope extends AutoCloseable {
    @Override
    void close();
  }

  /** The console shows olmo4j's lines at any level and the others' from WARN up. */
  static final class OursOrWarnings extends Filter<ILoggingEvent> {
    @Override
    public FilterReply decide(ILoggingEvent e) {
      return e.getLevel().isGreaterOrEqual(Level.WARN) || ours(e.getLoggerName())
          ? FilterReply.NEUTRAL : FilterReply.DENY;
    }

    static boolean ours(String logger) {
      return logger.equals("olmo4j") || logger.startsWith("olmo4j.") || logger.startsWith("org.olmo4j.");
    }
  }

  private static List<ConsoleAppender<ILoggingEvent>> consoles(ch.qos.logback.classic.Logger root) {
    List<ConsoleAppender<ILoggingEvent>> out = new ArrayList<>();
    for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
      if (it.next() instanceof ConsoleAppender<ILoggingEvent> c) {
        out.add(c);
      }
    }
    return out;
  }

  /** Logback has no removeFilter: keep the others. */
  private static void removeFilter(ConsoleAppender<ILoggingEvent> c, Filter<ILoggingEvent> filter) {
    List<Filter<ILoggingEvent>> kept = new ArrayList<>(c.getCopyOfAttachedFiltersList());
    kept.remove(filter);
    c.clearAllFilters();
    kept.forEach(c::addFilter);
  }
}
