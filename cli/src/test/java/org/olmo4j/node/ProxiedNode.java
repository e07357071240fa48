package org.olmo4j.node;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.olmo4j.config.DataPlaneConfig;

/**
 * A node of a test run in a child JVM behind its own {@link FaultProxy}: it binds its cluster
 * port and its workers' data-plane ports, and advertises the proxy's ports instead
 * ({@code pekko.remote.artery.bind.port} vs {@code --port}, {@code cluster.data_plane.port} vs
 * {@code advertised_port}), so everything other nodes send it crosses the proxy.
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

  private ProxiedNode(String name, int[] cluster, int[] dataBind, int[] dataAdvertised, Path dir)
      throws IOException {
    this.name = name;
    this.clusterBind = cluster[0];
    this.clusterPort = cluster[1];
    this.dataBind = dataBind[0];
    this.dataAdvertised = dataAdvertised[0];
    this.dir = dir;
    Map<Integer, Integer> routes = new HashMap<>(Map.of(clusterPort, clusterBind));
    for (int k = 0; k < dataBind.length; k++) {
      routes.put(dataAdvertised[k], dataBind[k]);
    }
    this.proxy = FaultProxy.start(routes);
  }

  /** Nodes of one worker with one exchange server, logs in {@code dir} ({@code NAME-1.log} …). */
  static List<ProxiedNode> create(Path dir, String... names) throws IOException {
    return create(dir, DataPlaneConfig.PORTS_PER_SERVER, names);
  }

  /**
   * Nodes whose workers take {@code data} data-plane ports in all from their fixed {@code
   * cluster.data_plane.port} (workers × {@link DataPlaneConfig#portsPerWorker}).
   */
  static List<ProxiedNode> create(Path dir, int data, String... names) throws IOException {
    int[] cluster = FaultProxy.freePortPairs(names.length);
    int[] runs = FaultProxy.freePortRuns(2 * names.length, data);
    List<ProxiedNode> out = new ArrayList<>();
    for (int i = 0; i < names.length; i++) {
      out.add(new ProxiedNode(names[i], Arrays.copyOfRange(cluster, 2 * i, 2 * i + 2),
          Arrays.copyOfRange(runs, 2 * i * data, (2 * i + 1) * data),
          Arrays.copyOfRange(runs, (2 * i + 1) * data, (2 * i + 2) * data), dir));
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
