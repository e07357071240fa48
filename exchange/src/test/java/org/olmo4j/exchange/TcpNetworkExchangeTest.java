package org.olmo4j.exchange;

/**
 * The exchange contract with every bulk frame over TCP on 127.0.0.1 ({@code
 * cluster.data_plane.unix_sockets: false}; ranks on other hosts always use TCP).
 */
class TcpNetworkExchangeTest extends NetworkExchangeTest {

  @Override
  boolean unixSockets() {
    return false;
  }
}
