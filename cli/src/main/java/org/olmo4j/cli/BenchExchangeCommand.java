package org.olmo4j.cli;

import java.util.concurrent.Callable;
import org.olmo4j.exchange.BulkTransport;
import org.olmo4j.exchange.ExchangeBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code olmo4j bench exchange --workers 2 --mib 256 [--transport unix|tcp]}: reduce-scatter and
 * all-gather bandwidth between worker JVMs of this host against raw java.nio sockets moving the
 * same bytes on the same transport (AF_UNIX, as workers of one host use by default, or TCP).
 */
@Command(name = "exchange", mixinStandardHelpOptions = true,
    description = "Collective bandwidth of the data plane between JVMs vs raw sockets on one host.")
final class BenchExchangeCommand implements Callable<Integer> {

  @Option(names = "--workers", defaultValue = "2", description = "JVMs (ranks), default ${DEFAULT-VALUE}")
  int workers;

  @Option(names = "--mib", defaultValue = "256", description = "MiB per rank, default ${DEFAULT-VALUE}")
  int mib;

  @Option(names = "--transport", defaultValue = "unix",
      description = "unix (AF_UNIX, as workers of one host exchange) or tcp (loopback), default ${DEFAULT-VALUE}")
  String transport;

  @Override
  public Integer call() throws Exception {
    ExchangeBenchmark.run(workers, mib, BulkTransport.parse(transport), System.out);
    return 0;
  }
}
