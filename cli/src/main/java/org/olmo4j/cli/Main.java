package org.olmo4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code olmo4j} command line: one subcommand per job. */
@Command(
    name = "olmo4j",
    mixinStandardHelpOptions = true,
    version = "olmo4j 0.1.0",
    description = "Train OLMo-style language models on the JVM.",
    subcommands = {
      TrainCommand.class,
      NodeCommand.class,
      LaunchCommand.class,
      InfoCommand.class,
      PrepareDataCommand.class,
      ExportHfCommand.class,
      ImportHfCommand.class,
      ScoreCommand.class,
      EvalCommand.class,
      GenerateEvalTasksCommand.class,
      ConvertEvalTaskCommand.class,
      PlotCommand.class,
      BenchCommand.class,
      CtlCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    int code;
    try {
      code = commandLine().execute(args);
    } catch (Error e) {
      // picocli hands exceptions to UserErrors but lets errors through (a class missing from a
      // trimmed JRE, an OutOfMemoryError). Threads the command had started (an actor system half
      // up) would keep the JVM alive with nothing left to do: say what failed and exit.
      e.printStackTrace();
      code = 70;
    }
    System.exit(code);
  }

  /** The configured command line (also used by tests). */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    cl.setExecutionExceptionHandler(new UserErrors());
    // OLMo-style overrides (--optimizer.learning_rate=1e-4) are positional, not declared options.
    cl.setUnmatchedOptionsArePositionalParams(true);
    return cl;
  }
}
