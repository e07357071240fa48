package org.olmo4j.exchange;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;

/**
 * Socket options of every bulk connection (and of the raw references in the benchmark): no Nagle
 * delay. Kernel buffer sizes are left to TCP autotuning: a fixed SO_SNDBUF/SO_RCVBUF turns
 * autotuning off and is capped at net.core.{w,r}mem_max (often 4 MiB, below tcp_rmem's maximum).
 */
final class BulkSockets {

  private BulkSockets() {}

  static void tune(SocketChannel ch) throws IOException {
    ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
  }
}
