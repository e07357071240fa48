package org.olmo4j.exchange;

import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * Another rank of the world: its control (gRPC) endpoint and, after Hello, its bulk endpoint and,
 * when it is on this host, its AF_UNIX bulk socket ({@link UnixBulk}; null otherwise).
 */
record Peer(int rank, InetSocketAddress control, InetSocketAddress bulk, Path unixBulk) {

  Peer(int rank, InetSocketAddress control, InetSocketAddress bulk) {
    this(rank, control, bulk, null);
  }

  @Override
  public String toString() {
    return "rank " + rank + " at " + control.getHostString() + ":" + control.getPort()
        + (bulk == null ? "" : " (bulk " + bulk.getHostString() + ":" + bulk.getPort() + ")");
  }
}
