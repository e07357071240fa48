package org.olmo4j.exchange;

import java.net.InetSocketAddress;

/** Another rank of the world: its control (gRPC) endpoint and, after Hello, its bulk endpoint. */
record Peer(int rank, InetSocketAddress control, InetSocketAddress bulk) {

  @Override
  public String toString() {
    return "rank " + rank + " at " + control.getHostString() + ":" + control.getPort()
        + (bulk == null ? "" : " (bulk " + bulk.getHostString() + ":" + bulk.getPort() + ")");
  }
}
