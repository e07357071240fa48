package org.olmo4j.cli;

import java.util.concurrent.Callable;
import org.olmo4j.exchange.ExchangeBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code olmo4j bench exchange --workers 2 --mib 256}: reduce-scatter and all-gather bandwidth
 * between worker JVMs on loopback against raw java.nio sockets moving the same bytes.
 */
@Command(name = "exchange", mixinStandardHelpOptions = true,
    description = "Collective bandwidth of the data plane between JVMs vs raw loopback sockets.")
final class BenchExchangeCommand implements Callable<Integer> {

  @Option(names = "--workers", defaultValue = "2", description = "JVMs (ranks), default ${DEFAULT-VALUE}")
  int workers;

  @Option(names = "--mib", defaultValue = "256", description = "MiB per rank, default ${DEFAULT-VALUE}")
  int mib;

  @Override
  public Integer call() throws Exception {
    ExchangeBenchmark.run(workers, mib, System.out);
    return 0;
  }
}
