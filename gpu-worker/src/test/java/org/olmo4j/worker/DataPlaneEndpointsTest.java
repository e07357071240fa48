package org.olmo4j.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.olmo4j.config.DataPlaneConfig;
import org.olmo4j.exchange.ExchangeServer;

/** {@code cluster.data_plane} → worker i's bound and advertised ports. */
class DataPlaneEndpointsTest {

  @Test
  void anyFreePortsAdvertisedAsBoundByDefault() {
    ExchangeServer.Endpoints e = DataPlaneEndpoints.of(new DataPlaneConfig(0, null, null, true), "10.0.0.5", 3);
    assertEquals(new InetSocketAddress("10.0.0.5", 0), e.controlBind());
    assertEquals(new InetSocketAddress("10.0.0.5", 0), e.bulkBind());
    assertNull(e.advertisedControl());
    assertTrue(e.unixSockets(), "workers of one host send bulk frames over AF_UNIX");
    assertFalse(DataPlaneEndpoints.of(new DataPlaneConfig(0, null, null, false), "10.0.0.5", 3)
        .unixSockets(), "unix_sockets: false");
    assertFalse(DataPlaneEndpoints.of(new DataPlaneConfig(20000, null, null, false), "10.0.0.5", 0)
        .unixSockets(), "unix_sockets: false, fixed ports");
  }

  @Test
  void workerIUsesTwoPortsFromTheBaseAndAdvertisesTheSameOffsets() {
    ExchangeServer.Endpoints e =
        DataPlaneEndpoints.of(new DataPlaneConfig(20000, "gw.example", 30000, true), "10.0.0.5", 1);
    assertEquals(new InetSocketAddress("10.0.0.5", 20002), e.controlBind());
    assertEquals(new InetSocketAddress("10.0.0.5", 20003), e.bulkBind());
    assertEquals("gw.example:30002", hostPort(e.advertisedControl()));
    assertEquals("gw.example:30003", hostPort(e.advertisedBulk()));
    ExchangeServer.Endpoints hostOnly =
        DataPlaneEndpoints.of(new DataPlaneConfig(20000, "gw.example", null, true), "10.0.0.5", 0);
    assertEquals("gw.example:20000", hostPort(hostOnly.advertisedControl()));
    ExchangeServer.Endpoints portOnly =
        DataPlaneEndpoints.of(new DataPlaneConfig(20000, null, 30000, true), "10.0.0.5", 0);
    assertEquals("10.0.0.5:30001", hostPort(portOnly.advertisedBulk()));
  }

  @Test
  void underHybridShardWorkerIUsesFourPortsShardGroupFirst() {
    DataPlaneConfig d = new DataPlaneConfig(20000, null, 30000, true);
    ExchangeServer.Endpoints shard = DataPlaneEndpoints.of(d, "10.0.0.5", 1, 0, 2);
    ExchangeServer.Endpoints replica = DataPlaneEndpoints.of(d, "10.0.0.5", 1, 1, 2);
    assertEquals(new InetSocketAddress("10.0.0.5", 20004), shard.controlBind());
    assertEquals(new InetSocketAddress("10.0.0.5", 20005), shard.bulkBind());
    assertEquals(new InetSocketAddress("10.0.0.5", 20006), replica.controlBind());
    assertEquals(new InetSocketAddress("10.0.0.5", 20007), replica.bulkBind());
    assertEquals("10.0.0.5:30006", hostPort(replica.advertisedControl()));
  }

  private static String hostPort(InetSocketAddress a) {
    return a.getHostString() + ":" + a.getPort();
  }
}
