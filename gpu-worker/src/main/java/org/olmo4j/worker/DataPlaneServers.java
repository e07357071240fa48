package org.olmo4j.worker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.olmo4j.config.ShardingStrategy;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.exchange.ExchangeOptions;
import org.olmo4j.exchange.ExchangeServer;
import org.olmo4j.exchange.TensorExchange;
import org.olmo4j.train.ShardGroups;

/**
 * A worker's data plane: one exchange server, two under HYBRID_SHARD, where the second hosts the
 * worker's replica group (a server hosts one world at a time; the two groups are two worlds of
 * the same generation). They outlive worlds; {@link #join} forms a generation's exchanges.
 */
final class DataPlaneServers implements AutoCloseable {

  /** The world, or under HYBRID_SHARD the shard group. */
  private final ExchangeServer group;
  /** HYBRID_SHARD's replica group; null under the other strategies. */
  private final ExchangeServer replicas;

  private DataPlaneServers(ExchangeServer group, ExchangeServer replicas) {
    this.group = group;
    this.replicas = replicas;
  }

  /** Opens worker {@code localIndex}'s servers on {@code host} ({@code cluster.data_plane}). */
  static DataPlaneServers start(TrainConfig cfg, String host, int localIndex) {
    int servers = cfg.fsdp().shardingStrategy() == ShardingStrategy.HYBRID_SHARD ? 2 : 1;
    ExchangeServer group = start(cfg, host, localIndex, 0, servers);
    if (servers == 1) {
      return new DataPlaneServers(group, null);
    }
    try {
      return new DataPlaneServers(group, start(cfg, host, localIndex, 1, servers));
    } catch (RuntimeException e) {
      group.close();
      throw e;
    }
  }

  private static ExchangeServer start(TrainConfig cfg, String host, int localIndex, int server,
      int servers) {
    try {
      return ExchangeServer.start(DataPlaneEndpoints.of(cfg.cluster().dataPlane(), host,
          localIndex, server, servers));
    } catch (IOException e) {
      throw new UncheckedIOException("worker " + localIndex + " cannot open its data plane"
          + (servers > 1 ? " (server " + (server + 1) + " of " + servers + ")" : "") + " on " + host
          + " (cluster.data_plane.port " + cfg.cluster().dataPlane().port() + "): " + e.getMessage(), e);
    }
  }

  /** The endpoint peers list for this worker (its world's, or its shard group's). */
  String endpoint() {
    return hostPort(group);
  }

  /** The replica group's endpoint, or null when this worker has no second server. */
  String replicaEndpoint() {
    return replicas == null ? null : hostPort(replicas);
  }

  private static String hostPort(ExchangeServer s) {
    InetSocketAddress a = s.controlAddress();
    return a.getHostString() + ":" + a.getPort();
  }

  /** A rank's exchanges of one generation: its group's and, under HYBRID_SHARD, its replicas'. */
  record Joined(TensorExchange group, TensorExchange replicas) implements AutoCloseable {

    /** Fails the collectives in flight of both. */
    void abort(long newGeneration) {
      group.abort(newGeneration);
      if (replicas != null) {
        replicas.abort(newGeneration);
      }
    }

    /** True once no exchange thread of either runs, waiting up to {@code wait} for each. */
    boolean awaitIdle(Duration wait) {
      return group.awaitIdle(wait) && (replicas == null || replicas.awaitIdle(wait));
    }

    @Override
    public void close() {
      group.close();
      if (replicas != null) {
        replicas.close();
      }
    }
  }

  /**
   * Joins {@code assign}'s world as its rank: the shard group of its {@link ShardGroups} on the
   * first server (the whole world with one replica), the replica group on the second.
   */
  Joined join(GpuWorker.Assign assign, ExchangeOptions options) {
    ShardGroups groups = assign.groups();
    int rank = assign.rank();
    TensorExchange shard = group.join(groups.shardRank(rank), assign.generation(),
        addresses(assign.endpoints(), groups.shardGroup(rank)), options);
    if (groups.replicas() == 1) {
      return new Joined(shard, null);
    }
    try {
      if (replicas == null) {
        throw new IllegalStateException("this worker has no replica-group server (its node's"
            + " fsdp.sharding_strategy is not HYBRID_SHARD)");
      }
      return new Joined(shard, replicas.join(groups.replicaIndex(rank), assign.generation(),
          addresses(assign.replicaEndpoints(), groups.replicaGroup(rank)), options));
    } catch (RuntimeException e) {
      shard.close();
      throw e;
    }
  }

  /**
   * {@code generation} is assigned to this worker: an older generation's join, in progress or to
   * come, gives up at once (see {@link ExchangeServer#abandonJoinsBefore}). Does not block.
   */
  void abandonJoinsBefore(long generation) {
    group.abandonJoinsBefore(generation);
    if (replicas != null) {
      replicas.abandonJoinsBefore(generation);
    }
  }

  /** The endpoints of {@code ranks} (world ranks, in group order). */
  private static List<InetSocketAddress> addresses(List<String> endpoints, List<Integer> ranks) {
    List<InetSocketAddress> out = new ArrayList<>();
    for (int r : ranks) {
      String e = endpoints.get(r);
      int colon = e.lastIndexOf(':');
      out.add(new InetSocketAddress(e.substring(0, colon), Integer.parseInt(e.substring(colon + 1))));
    }
    return out;
  }

  @Override
  public void close() {
    group.close();
    if (replicas != null) {
      replicas.close();
    }
  }
}
