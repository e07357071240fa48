package org.olmo4j.bootstrap;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Decides where this process sits in the cluster: whether it starts it or joins it, at which
 * host and port, and which seed nodes it joins. Seed nodes come from, in this order: {@code
 * --seed-nodes}, {@code cluster.seed_nodes}, Slurm ({@link SlurmEnv}: the first node of the job
 * at the cluster port), torchrun ({@link TorchrunEnv}: MASTER_ADDR at {@link
 * TorchrunEnv#clusterPort()}); with none of them the process starts a one-node cluster.
 */
public final class Bootstrap {

  /** What the command line and the config say; null where the user gave nothing. */
  public record Request(List<String> seedNodes, String host, Integer port,
      List<String> configSeedNodes, int configPort, String localHostName) {}

  /**
   * Where this process goes.
   *
   * @param seedNodes HOST:PORT to join; empty when {@code startsCluster}
   */
  public record Plan(boolean startsCluster, String host, int port, List<String> seedNodes,
      String source) {

    /** One line for the log: {@code starts the cluster at nid001:25520 (Slurm job 7, …)}. */
    public String describe() {
      String at = host + ":" + (port == 0 ? "<any free port>" : port);
      return (startsCluster ? "starts the cluster at " + at
          : "joins " + String.join(",", seedNodes) + " as " + at) + " [" + source + "]";
    }
  }

  private Bootstrap() {}

  /** The plan for {@code request} in {@code env}; throws {@link BootstrapException} on a bad env. */
  public static Plan plan(Map<String, String> env, Request request) {
    int basePort = request.port() != null ? request.port() : request.configPort();
    List<String> explicit = explicitSeeds(request);
    if (!explicit.isEmpty()) {
      String first = explicit.get(0);
      String host = request.host() != null ? request.host()
          : SlurmEnv.read(env).map(SlurmEnv::thisHost)
              .orElse(reachableHost(hostOf(first), request.localHostName()));
      boolean starts = first.equals(host + ":" + basePort);
      String source = request.seedNodes() != null && !request.seedNodes().isEmpty()
          ? "--seed-nodes" : "cluster.seed_nodes";
      return new Plan(starts, host, basePort, starts ? List.of() : explicit,
          source + (starts ? ": this node is the first seed" : ""));
    }
    Optional<SlurmEnv> slurm = SlurmEnv.read(env);
    if (slurm.isPresent()) {
      return slurmPlan(slurm.get(), request, basePort);
    }
    Optional<TorchrunEnv> torch = TorchrunEnv.read(env);
    if (torch.isPresent()) {
      return torchrunPlan(torch.get(), request);
    }
    return new Plan(true, request.host() != null ? request.host() : "127.0.0.1", basePort,
        List.of(), "no seed nodes, Slurm or torchrun environment: a one-node cluster");
  }

  /** The seed node to join from the environment alone (Slurm, then torchrun), if there is one. */
  public static Optional<String> seedFromEnv(Map<String, String> env, int clusterPort) {
    Optional<SlurmEnv> slurm = SlurmEnv.read(env);
    if (slurm.isPresent()) {
      return Optional.of(slurm.get().seedHost() + ":" + clusterPort);
    }
    return TorchrunEnv.read(env).map(t -> t.masterAddr() + ":" + t.clusterPort());
  }

  private static Plan slurmPlan(SlurmEnv s, Request request, int port) {
    if (s.nTasks() != s.nNodes()) {
      throw new BootstrapException("SLURM_NTASKS=" + s.nTasks() + " on SLURM_NNODES=" + s.nNodes()
          + ": launch runs one task per node (srun --ntasks-per-node=1), which starts one worker "
          + "per GPU of the node");
    }
    if (port == 0) {
      throw new BootstrapException("cluster port 0 (any free port) under Slurm: the nodes must "
          + "know the seed's port; set --port or cluster.port");
    }
    String seed = s.seedHost() + ":" + port;
    String host = request.host() != null ? request.host() : s.thisHost();
    boolean starts = s.procId() == 0;
    return new Plan(starts, host, port, starts ? List.of() : List.of(seed), s.describe());
  }

  private static Plan torchrunPlan(TorchrunEnv t, Request request) {
    String seed = t.masterAddr() + ":" + t.clusterPort();
    if (t.startsCluster()) {
      String host = request.host() != null ? request.host() : t.masterAddr();
      return new Plan(true, host, t.clusterPort(), List.of(), t.describe());
    }
    String host = request.host() != null ? request.host()
        : reachableHost(t.masterAddr(), request.localHostName());
    return new Plan(false, host, request.port() != null ? request.port() : 0, List.of(seed),
        t.describe());
  }

  private static List<String> explicitSeeds(Request request) {
    if (request.seedNodes() != null && !request.seedNodes().isEmpty()) {
      for (String s : request.seedNodes()) {
        if (!s.matches(".+:[0-9]{1,5}") || Integer.parseInt(hostPortPort(s)) > 65535) {
          throw new BootstrapException("--seed-nodes: '" + s + "' is not HOST:PORT with a port in "
              + "[0, 65535], e.g. node001:25520");
        }
      }
      return List.copyOf(request.seedNodes());
    }
    return request.configSeedNodes() == null ? List.of() : List.copyOf(request.configSeedNodes());
  }

  private static String hostPortPort(String hostPort) {
    return hostPort.substring(hostPort.lastIndexOf(':') + 1);
  }

  private static String hostOf(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    return colon < 0 ? hostPort : hostPort.substring(0, colon);
  }

  /** A seed on loopback means every node is on this machine; otherwise others need our name. */
  private static String reachableHost(String seedHost, String localHostName) {
    boolean loopback = seedHost.equals("localhost") || seedHost.startsWith("127.")
        || seedHost.equals("::1") || seedHost.equals("[::1]");
    return loopback ? "127.0.0.1" : localHostName;
  }
}
