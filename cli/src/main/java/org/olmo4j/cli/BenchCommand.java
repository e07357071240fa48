package org.olmo4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code olmo4j bench …}: benchmarks that print their figures against a reference. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Benchmarks that print figures and their ratio to a reference measured in the same run.",
    subcommands = {BenchTrainCommand.class, BenchExchangeCommand.class, BenchRecoveryCommand.class,
        BenchCheckpointCommand.class, BenchControlCommand.class, BenchEvalCommand.class,
        BenchWorkersCommand.class, BenchMemoryCommand.class})
final class BenchCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
