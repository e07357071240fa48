package org.olmo4j.exchange;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;

/** Socket options of every bulk connection (and of the raw reference in the benchmark). */
final class BulkSockets {

  /** Requested kernel buffer per direction; the kernel caps it at net.core.{w,r}mem_max. */
  static final int BUFFER_BYTES = Integer.getInteger("olmo4j.exchange.socketBuffer", 0);

  private BulkSockets() {}

  static void tune(SocketChannel ch) throws IOException {
    ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
    if (BUFFER_BYTES > 0) {
      ch.setOption(StandardSocketOptions.SO_SNDBUF, BUFFER_BYTES);
      ch.setOption(StandardSocketOptions.SO_RCVBUF, BUFFER_BYTES);
    }
  }
}
