package org.olmo4j.exchange;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;

/**
 * Socket options of every bulk connection (and of the raw references in the benchmark). Over
 * TCP: no Nagle delay; kernel buffer sizes are left to TCP autotuning (a fixed SO_SNDBUF/SO_RCVBUF
 * turns autotuning off and is capped at net.core.{w,r}mem_max, often 4 MiB, below tcp_rmem's
 * maximum). Over AF_UNIX, which has no autotuning: {@link #UNIX_SEND_BUFFER_BYTES}.
 */
final class BulkSockets {

  /**
   * An AF_UNIX connection's send buffer, which bounds the bytes in flight to the reader (Linux
   * ignores SO_RCVBUF there). The default (net.core.wmem_default, 208 KiB) is below one 256 KiB
   * frame, so every frame's write waited for the reader: with room for a few frames, {@code bench
   * exchange} on 2 JVMs moved 256 MiB in 39–45 ms instead of 56–58 (reduce-scatter) and 35–45
   * instead of 56 (all-gather fp32), alike from 512 KiB to 4 MiB. The kernel caps it at
   * net.core.wmem_max (4 MiB where measured; 208 KiB on a stock kernel, which then gives 416 KiB).
   */
  static final int UNIX_SEND_BUFFER_BYTES = 2 << 20;

  private BulkSockets() {}

  static void tune(SocketChannel ch) throws IOException {
    if (ch.supportedOptions().contains(StandardSocketOptions.TCP_NODELAY)) {
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
    } else {
      ch.setOption(StandardSocketOptions.SO_SNDBUF, UNIX_SEND_BUFFER_BYTES);
    }
  }
}
