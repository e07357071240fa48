package org.olmo4j.config;

/**
 * Where a node's workers serve the data plane ({@code cluster.data_plane}) and where peers are
 * told to reach them. Worker {@code i} of a node binds {@code port + 2i} (gRPC handshake) and
 * {@code port + 2i + 1} (raw TCP bulk); 0 binds any free ports. Under HYBRID_SHARD a worker
 * serves two worlds (its shard group and its replica group), one server each: worker {@code i}
 * binds {@code port + 4i .. port + 4i + 3} (shard group's two, then replica group's two). Behind
 * NAT, a container's port mapping or a proxy, {@code advertised_host} / {@code advertised_port}
 * name the address peers connect to, mapped one to one onto the bound ports; null advertises
 * the bound address. Workers of one host send bulk frames to each other over AF_UNIX sockets
 * ({@code unix_sockets}: less CPU per byte than loopback TCP) where both ends have it on,
 * except to a worker whose address is an advertised one. May differ between nodes.
 */
public record DataPlaneConfig(
    int port,
    /* nullable: the node's --host */ String advertisedHost,
    /* nullable: the bound ports */ Integer advertisedPort,
    boolean unixSockets) {

  /** Ports of one exchange server: one for the gRPC handshake, one for bulk frames. */
  public static final int PORTS_PER_SERVER = 2;

  /** Ports each worker uses under {@code strategy}: one server, two under HYBRID_SHARD. */
  public static int portsPerWorker(ShardingStrategy strategy) {
    return strategy == ShardingStrategy.HYBRID_SHARD ? 2 * PORTS_PER_SERVER : PORTS_PER_SERVER;
  }
}
