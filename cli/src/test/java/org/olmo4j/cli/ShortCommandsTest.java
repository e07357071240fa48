package org.olmo4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.control.ControlEndpoint;
import org.olmo4j.cli.ClusterNode;
import org.olmo4j.node.ClusterRuns;
import org.olmo4j.node.FileEvents;

/**
 * Short commands print their answer and nothing else: in a JVM started as bin/olmo4j starts them
 * (the main logging config, no incubator module), stdout and stderr together hold only the answer.
 */
class ShortCommandsTest {

  @TempDir Path tmp;

  @Test
  void theLauncherGivesTheIncubatorModuleOnlyToCommandsThatExchange() throws Exception {
    for (String command : List.of("ctl", "info", "score", "plot")) {
      assertFalse(launcherCommand(command).contains("jdk.incubator.vector"), command);
    }
    for (String command : List.of("train", "node", "launch", "bench")) {
      assertTrue(launcherCommand(command).contains("--add-modules=jdk.incubator.vector"), command);
    }
  }

  @Test
  void infoPrintsItsAnswerOnly() throws Exception {
    String config = Path.of("../configs/OLMo-1B.yaml").toString();
    String answer = CliTest.run("info", config).out();
    assertTrue(answer.contains("\nparameters 1176764416\n"), answer);
    assertEquals(answer, runCli(List.of("info", config)));
  }

  @Test
  void ctlStatusPrintsTheStatusOnly() throws Exception {
    Path data = ClusterRuns.writeTokens(tmp);
    Path save = tmp.resolve("run");
    Path tokenFile = tmp.resolve("token");
    Files.writeString(tokenFile, "short-token\n");
    String yaml = ClusterRuns.yaml(data, save, 1, 1, 100_000, 1000,
        "control: {port: 0, token_file: " + tokenFile + "}");
    ClusterNode.Handle node = ClusterNode.start(ClusterRuns.config(yaml), "127.0.0.1", 0, List.of());
    try {
      FileEvents.await(save, Duration.ofSeconds(120), "control.json written",
          () -> Files.exists(save.resolve("control.json")));
      String out = runCli(List.of("ctl", "status", "--endpoint", ControlEndpoint.of(save).toString(),
          "--token-file", tokenFile.toString()));
      List<String> lines = out.lines().toList();
      assertTrue(lines.get(0).matches("\\w+: step \\d+/100000, loss .*"), out);
      assertTrue(lines.get(1).startsWith("coordinator pekko://"), out);
      assertTrue(lines.get(lines.size() - 1).startsWith("{"), out); // the status as JSON
      for (String line : lines.subList(2, lines.size() - 1)) {
        assertTrue(line.startsWith("  rank ") || line.startsWith("  slowest rank "),
            "a line that is not part of the status: " + out);
      }
    } finally {
      node.system().terminate();
    }
  }

  /** The java command line bin/olmo4j would run for {@code command}. */
  private static String launcherCommand(String command) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("bash", "../bin/olmo4j", command).redirectErrorStream(true);
    pb.environment().put("OLMO4J_DRY_RUN", "1");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "bin/olmo4j with OLMO4J_DRY_RUN=1 ends");
    assertEquals(0, p.exitValue(), out);
    return out;
  }

  /** Stdout and stderr together of {@code olmo4j ARGS} in a child JVM with the main logging config. */
  private String runCli(List<String> args) throws Exception {
    Path log = tmp.resolve("cli-" + System.nanoTime() + ".log");
    String mainLogging = Path.of(getClass().getClassLoader().getResource("logback.xml").toURI()).toString();
    Process p = ClusterRuns.startCliJvm(log, args, Map.of(),
        List.of("-Dlogback.configurationFile=" + mainLogging));
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "olmo4j " + args + " ends");
    assertEquals(0, p.exitValue(), Files.readString(log));
    return Files.readString(log);
  }
}
