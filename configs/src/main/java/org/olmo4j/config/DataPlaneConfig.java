package org.olmo4j.config;

/**
 * Where a node's workers serve the data plane ({@code cluster.data_plane}) and where peers are
 * told to reach them. Worker {@code i} of a node binds {@code port + 2i} (gRPC handshake) and
 * {@code port + 2i + 1} (raw TCP bulk); 0 binds any free ports. Behind NAT, a container's port
 * mapping or a proxy, {@code advertised_host} / {@code advertised_port} name the address peers
 * connect to, mapped one to one onto the bound ports ({@code advertised_port + 2i},
 * {@code advertised_port + 2i + 1}); null advertises the bound address. May differ between nodes.
 */
public record DataPlaneConfig(
    int port,
    /* nullable: the node's --host */ String advertisedHost,
    /* nullable: the bound ports */ Integer advertisedPort) {

  /** Ports each worker uses: one for the gRPC handshake, one for bulk frames. */
  public static final int PORTS_PER_WORKER = 2;
}
