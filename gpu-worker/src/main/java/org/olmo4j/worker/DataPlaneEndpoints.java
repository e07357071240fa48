package org.olmo4j.worker;

import java.net.InetSocketAddress;
import org.olmo4j.config.DataPlaneConfig;
import org.olmo4j.exchange.ExchangeServer;

/**
 * Worker {@code i}'s data-plane ports from {@code cluster.data_plane}: bound and advertised. A
 * worker runs one exchange server, two under HYBRID_SHARD (its shard group's and its replica
 * group's); server {@code k} of worker {@code i} takes the two ports from {@code port + 2(S·i + k)}
 * for S servers per worker.
 */
final class DataPlaneEndpoints {

  private DataPlaneEndpoints() {}

  /** The one server of worker {@code localIndex}. */
  static ExchangeServer.Endpoints of(DataPlaneConfig d, String host, int localIndex) {
    return of(d, host, localIndex, 0, 1);
  }

  /**
   * @param host the node's address (--host): bound, and advertised unless advertised_host is set
   * @param server which of the worker's {@code servers} servers
   */
  static ExchangeServer.Endpoints of(DataPlaneConfig d, String host, int localIndex, int server,
      int servers) {
    if (d.port() == 0) {
      return ExchangeServer.Endpoints.anyPort(host, d.unixSockets());
    }
    int offset = DataPlaneConfig.PORTS_PER_SERVER * (servers * localIndex + server);
    InetSocketAddress control = new InetSocketAddress(host, d.port() + offset);
    InetSocketAddress bulk = new InetSocketAddress(host, d.port() + offset + 1);
    if (d.advertisedHost() == null && d.advertisedPort() == null) {
      return new ExchangeServer.Endpoints(control, bulk, null, null, d.unixSockets());
    }
    String advertisedHost = d.advertisedHost() != null ? d.advertisedHost() : host;
    int advertisedPort = (d.advertisedPort() != null ? d.advertisedPort() : d.port()) + offset;
    return new ExchangeServer.Endpoints(control, bulk,
        InetSocketAddress.createUnresolved(advertisedHost, advertisedPort),
        InetSocketAddress.createUnresolved(advertisedHost, advertisedPort + 1), d.unixSockets());
  }
}
