package org.olmo4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.spi.FilterReply;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.node.ClusterRuns;

/**
 * A run's console and its SAVE_FOLDER/train.log, in a JVM started as bin/olmo4j starts it (the
 * main logging config): Pekko's INFO lines go to the file only, unless --verbose.
 */
class TrainLogTest {

  /** A Pekko INFO line of train.log: its message. */
  private static final Pattern PEKKO_INFO =
      Pattern.compile("^\\S+ \\S+ INFO  org\\.apache\\.pekko\\.\\S+ - (.+)$", Pattern.MULTILINE);

  @TempDir Path tmp;

  @Test
  void pekkosInfoLinesGoToTrainLogAndToTheConsoleOnlyWithVerbose() throws Exception {
    Path data = ClusterRuns.writeTokens(tmp);

    Path quietSave = tmp.resolve("quiet");
    String console = train(data, quietSave, List.of());
    String trainLog = Files.readString(quietSave.resolve(TrainLog.FILE));
    List<String> pekko = messages(trainLog);
    assertTrue(pekko.size() >= 3, "Pekko's INFO lines in train.log:\n" + trainLog);
    for (String m : pekko) {
      assertFalse(console.contains(m), "a Pekko INFO line on the console: " + m + "\n" + console);
    }
    // Our lines on both.
    for (String ours : List.of("world of generation 1 formed", "committed checkpoint",
        "training finished at step 6")) {
      assertTrue(console.contains(ours), ours + " on the console:\n" + console);
      assertTrue(trainLog.contains(ours), ours + " in train.log:\n" + trainLog);
    }
    assertTrue(console.contains("log: " + quietSave.resolve(TrainLog.FILE).toAbsolutePath()),
        "the console says where the log is:\n" + console);

    Path verboseSave = tmp.resolve("verbose");
    String verboseConsole = train(data, verboseSave, List.of("--verbose"));
    List<String> verbosePekko = messages(Files.readString(verboseSave.resolve(TrainLog.FILE)));
    assertTrue(verbosePekko.size() >= 3, "Pekko's INFO lines in train.log with --verbose");
    for (String m : verbosePekko) {
      assertTrue(verboseConsole.contains(m), "with --verbose on the console too: " + m + "\n"
          + verboseConsole);
    }
  }

  @Test
  void theConsoleKeepsOurLinesAndEveryonesWarnings() {
    TrainLog.OursOrWarnings filter = new TrainLog.OursOrWarnings();
    LoggerContext ctx = new LoggerContext();
    record Case(String logger, Level level, FilterReply expected) {}
    for (Case c : List.of(
        new Case("org.apache.pekko.cluster.Cluster", Level.INFO, FilterReply.DENY),
        new Case("io.grpc.netty.NettyServer", Level.INFO, FilterReply.DENY),
        new Case("org.apache.pekko.cluster.Cluster", Level.WARN, FilterReply.NEUTRAL),
        new Case("org.apache.pekko.actor.typed.Behavior", Level.ERROR, FilterReply.NEUTRAL),
        new Case("org.olmo4j.coordinator.Coordinator", Level.INFO, FilterReply.NEUTRAL),
        new Case("olmo4j", Level.INFO, FilterReply.NEUTRAL),
        new Case("olmo4j.progress", Level.INFO, FilterReply.NEUTRAL),
        new Case("olmo4jx", Level.INFO, FilterReply.DENY))) {
      LoggingEvent e = new LoggingEvent(getClass().getName(), ctx.getLogger(c.logger()), c.level(),
          "a line", null, null);
      assertEquals(c.expected(), filter.decide(e), c.toString());
    }
  }

  /** Console output (stdout and stderr) of a 6-step {@code olmo4j train} in a child JVM. */
  private String train(Path data, Path save, List<String> options) throws Exception {
    Path config = tmp.resolve(save.getFileName() + ".yaml");
    Files.writeString(config, ClusterRuns.yaml(data, save, 1, 1, 6, 3));
    List<String> args = new ArrayList<>(List.of("train", config.toString(), "--port=0"));
    args.addAll(options);
    Path console = tmp.resolve(save.getFileName() + "-console.log");
    String mainLogging = Path.of(getClass().getClassLoader().getResource("logback.xml").toURI()).toString();
    Process p = ClusterRuns.startCliJvm(console, args, Map.of(),
        List.of("-Dlogback.configurationFile=" + mainLogging));
    assertTrue(p.waitFor(180, TimeUnit.SECONDS), "olmo4j train ends");
    String out = Files.readString(console);
    assertEquals(0, p.exitValue(), out);
    return out;
  }

  private static List<String> messages(String log) {
    List<String> out = new ArrayList<>();
    Matcher m = PEKKO_INFO.matcher(log);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }
}
