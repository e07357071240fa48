package org.olmo4j.node;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A node of a test run in a child JVM behind its own {@link FaultProxy}: it binds its cluster
 * port and its worker's two data-plane ports, and advertises the proxy's ports instead
 * ({@code pekko.remote.artery.bind.port} vs {@code --port}, {@code cluster.data_plane.port} vs
 * {@code advertised_port}), so everything other nodes send it crosses the proxy. One worker.
 */
final class ProxiedNode implements AutoCloseable {

  final String name;
  final FaultProxy proxy;
  /** The cluster port other nodes know (the proxy's). */
  final int clusterPort;
  private final int clusterBind;
  private final int dataBind;
  private final int dataAdvertised;
  private final Path dir;
  private Process process;
  private int starts;

  private ProxiedNode(String name, int[] ports, Path dir) throws IOException {
    this.name = name;
    this.clusterBind = ports[0];
    this.clusterPort = ports[1];
    this.dataBind = ports[2];
    this.dataAdvertised = ports[4];
    this.dir = dir;
    this.proxy = FaultProxy.start(Map.of(clusterPort, clusterBind,
        dataAdvertised, dataBind, dataAdvertised + 1, dataBind + 1));
  }

  /** Nodes with distinct ports, logs in {@code dir} ({@code NAME-1.log}, {@code NAME-2.log} …). */
  static List<ProxiedNode> create(Path dir, String... names) throws IOException {
    int[] ports = FaultProxy.freePortPairs(3 * names.length);
    List<ProxiedNode> out = new ArrayList<>();
    for (int i = 0; i < names.length; i++) {
      int[] mine = Arrays.copyOfRange(ports, 6 * i, 6 * i + 6);
      out.add(new ProxiedNode(names[i], mine, dir));
    }
    return out;
  }

  /**
   * Starts (or starts again, on the same ports) {@code olmo4j node CONFIG} joining
   * {@code seed}'s cluster port ({@code this} for the first node: it forms the cluster).
   */
  Process start(Path config, ProxiedNode seed, String... overrides) throws IOException {
    return start(config, seed, List.of(), overrides);
  }

  /** As {@link #start(Path, ProxiedNode, String...)} with extra JVM options ({@code -D…}). */
  Process start(Path config, ProxiedNode seed, List<String> jvmOptions, String... overrides)
      throws IOException {
    List<String> args = new ArrayList<>(List.of("node", config.toString(),
        "--seed-nodes=127.0.0.1:" + seed.clusterPort, "--port=" + clusterPort,
        "--cluster.data_plane.port=" + dataBind,
        "--cluster.data_plane.advertised_port=" + dataAdvertised));
    args.addAll(List.of(overrides));
    List<String> jvm = new ArrayList<>(jvmOptions);
    jvm.add("-Dpekko.remote.artery.bind.port=" + clusterBind);
    process = ClusterRuns.startCliJvm(log(++starts), args, Map.of(), jvm);
    return process;
  }

  Process process() {
    return process;
  }

  /** The log of this node's {@code start}-th process. */
  Path log(int start) {
    return dir.resolve(name + "-" + start + ".log");
  }

  @Override
  public void close() {
    if (process != null) {
      process.destroyForcibly();
    }
    proxy.close();
  }
}
