package org.olmo4j.exchange;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.olmo4j.proto.collective.HelloRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data-plane endpoint of one worker process: a gRPC server (Hello, Abort) and a raw TCP
 * acceptor for bulk connections, and an AF_UNIX one for peers on this host ({@link UnixBulk}).
 * It outlives worlds: {@link #join} forms the exchange of each new generation on the same
 * endpoint.
 */
public final class ExchangeServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ExchangeServer.class);

  private final Server grpc;
  private final ServerSocketChannel bulk;
  /** The same-host bulk socket; null when not offered. */
  private final UnixBulk.Listener unixBulk;
  private final InetSocketAddress advertisedControl;
  private final InetSocketAddress advertisedBulk;
  /**
   * The accept loops. A listening socket closed under a thread blocked in accept() stays bound
   * until that thread has left it, so {@link #close} waits for them.
   */
  private final List<Thread> acceptors = new CopyOnWriteArrayList<>();
  private volatile NetworkExchange current;
  private volatile long lastGeneration = -1;
  /** A generation this worker was assigned: older ones are not joined any more. */
  private long abandonedBelow = -1;

  private ExchangeServer(Endpoints e) throws IOException {
    // A restarted node binds the same fixed ports (cluster.data_plane.port) while its old
    // connections may linger in TIME_WAIT.
    this.bulk = ServerSocketChannel.open().setOption(StandardSocketOptions.SO_REUSEADDR, true)
        .bind(e.bulkBind());
    try {
      this.grpc = NettyServerBuilder.forAddress(e.controlBind())
          .withOption(ChannelOption.SO_REUSEADDR, true)
          .addService(new CollectiveService(this))
          .maxInboundMessageSize(Handshake.MAX_GRPC_MESSAGE)
          .flowControlWindow(Handshake.FLOW_WINDOW)
          .build()
          .start();
    } catch (IOException | RuntimeException failed) {
      bulk.close();
      throw failed;
    }
    int bulkPort = ((InetSocketAddress) bulk.socket().getLocalSocketAddress()).getPort();
    this.advertisedControl = e.advertisedControl() != null ? e.advertisedControl()
        : new InetSocketAddress(e.controlBind().getHostString(), grpc.getPort());
    this.advertisedBulk = e.advertisedBulk() != null ? e.advertisedBulk()
        : new InetSocketAddress(e.bulkBind().getHostString(), bulkPort);
    // Peers told to reach this server at another address (NAT, a proxy) must go through it.
    this.unixBulk = e.unixSockets() && e.advertisedBulk() == null ? UnixBulk.listen(bulkPort) : null;
    try {
      startAcceptor(bulk, "exchange-accept-" + grpc.getPort());
      if (unixBulk != null) {
        startAcceptor(unixBulk.channel(), "exchange-accept-unix-" + grpc.getPort());
      }
    } catch (RuntimeException | Error failed) {
      close();
      throw failed;
    }
  }

  private void startAcceptor(ServerSocketChannel channel, String name) {
    Thread t = new Thread(() -> acceptLoop(channel), name);
    t.setDaemon(true);
    acceptors.add(t);
    t.start();
  }

  /**
   * Where a server binds its two ports and what it tells peers. A null advertised address is the
   * bound one; another one is how peers reach it through NAT, a container's port mapping or a
   * proxy ({@code cluster.data_plane}). With {@code unixSockets} the server also offers peers on
   * this host an AF_UNIX socket, which those that offer theirs use instead of TCP, unless the bulk
   * address is an advertised one (then every peer goes through it).
   */
  public record Endpoints(InetSocketAddress controlBind, InetSocketAddress bulkBind,
      InetSocketAddress advertisedControl, InetSocketAddress advertisedBulk, boolean unixSockets) {

    /** Both ports on {@code host}, any free ones, advertised as bound. */
    public static Endpoints anyPort(String host, boolean unixSockets) {
      return new Endpoints(new InetSocketAddress(host, 0), new InetSocketAddress(host, 0), null,
          null, unixSockets);
    }
  }

  /**
   * Starts serving on {@code bind} (port 0 picks a free port); the bulk port is always ephemeral;
   * an AF_UNIX socket is offered to peers on this host.
   */
  public static ExchangeServer start(InetSocketAddress bind) throws IOException {
    return new ExchangeServer(new Endpoints(bind, new InetSocketAddress(bind.getAddress(), 0),
        null, null, true));
  }

  /** Starts serving as {@code endpoints} say. */
  public static ExchangeServer start(Endpoints endpoints) throws IOException {
    return new ExchangeServer(endpoints);
  }

  /** The gRPC endpoint other ranks list for this worker (the advertised one). */
  public InetSocketAddress controlAddress() {
    return advertisedControl;
  }

  /** The bulk endpoint this worker announces in its Hello (the advertised one). */
  public InetSocketAddress bulkAddress() {
    return advertisedBulk;
  }

  /**
   * Joins the world whose ranks serve {@code controlEndpoints} (rank order; this server is
   * {@code rank}) as {@code generation}, which must be newer than any joined before; a previous
   * exchange of this server is closed. Blocks until every peer has joined or the timeout passed.
   */
  public NetworkExchange join(int rank, long generation, List<InetSocketAddress> controlEndpoints,
      ExchangeOptions options) {
    NetworkExchange world;
    NetworkExchange previous;
    synchronized (this) {
      if (generation <= lastGeneration) {
        throw new IllegalArgumentException("generation " + generation
            + " is not newer than the last joined generation " + lastGeneration);
      }
      if (generation < abandonedBelow) {
        throw new ExchangeAbortedException(generation, abandonedBelow);
      }
      world = new NetworkExchange(this, rank, generation, controlEndpoints, options);
      previous = current;
      current = world;
      lastGeneration = generation;
    }
    if (previous != null) {
      previous.close();
    }
    try {
      world.connect();
      return world;
    } catch (IOException e) {
      world.close();
      throw new ExchangeException("rank " + rank + " could not join generation " + generation
          + ": " + e, e);
    } catch (RuntimeException e) {
      world.close();
      throw e;
    }
  }

  /**
   * This worker is assigned {@code newGeneration}: a join of an older generation still to start
   * fails at once, and one in progress (waiting for a peer that may never come) gives up with
   * {@link ExchangeAbortedException} within about a second ({@link NetworkExchange#abandonJoin})
   * instead of at the exchange timeout. A world already joined is
   * left to its owner's {@link NetworkExchange#abort}, which tells its peers. Does not block.
   */
  public void abandonJoinsBefore(long newGeneration) {
    NetworkExchange w;
    synchronized (this) {
      abandonedBelow = Math.max(abandonedBelow, newGeneration);
      w = current;
    }
    if (w != null && w.generation() < newGeneration && w.abandonJoin(newGeneration)) {
      log.info("rank {}: the join of generation {} gives up: generation {} is assigned",
          w.rank(), w.generation(), newGeneration);
    }
  }

  NetworkExchange current() {
    return current;
  }

  long lastGeneration() {
    return lastGeneration;
  }

  synchronized void leave(NetworkExchange world) {
    if (current == world) {
      current = null;
    }
  }

  HelloRequest helloFrom(int rank, int worldSize, long generation) {
    HelloRequest.Builder b = HelloRequest.newBuilder().setRank(rank).setWorldSize(worldSize)
        .setGeneration(generation).setBulkEndpoint(Handshake.endpoint(bulkAddress()))
        .setUnixBulkPath(unixBulk == null ? "" : unixBulk.path().toString())
        .setHostId(unixBulk == null ? "" : UnixBulk.HOST_ID);
    for (DType t : DType.values()) {
      b.addDtypes(org.olmo4j.proto.collective.DType.forNumber(t.code()));
    }
    return b.build();
  }

  private void acceptLoop(ServerSocketChannel channel) {
    while (channel.isOpen()) {
      try {
        SocketChannel ch = channel.accept();
        Thread t = new Thread(() -> admit(ch), "exchange-admit");
        t.setDaemon(true);
        t.start();
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException e) {
        log.warn("bulk accept on {} failed: {}", channel == bulk ? bulkAddress() : unixBulk.path(),
            e.toString());
      }
    }
  }

  /** Reads a bulk connection's preface and hands it to the world it names, or refuses it. */
  private void admit(SocketChannel ch) {
    try {
      BulkSockets.tune(ch);
      ByteBuffer b = ByteBuffer.allocate(Handshake.PREFACE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      while (b.hasRemaining()) {
        if (ch.read(b) < 0) {
          ch.close();
          return;
        }
      }
      b.flip();
      int magic = b.getInt();
      long generation = b.getLong();
      int src = b.getInt();
      int dst = b.getInt();
      int worldSize = b.getInt();
      NetworkExchange w = current;
      int status;
      if (magic != Handshake.PREFACE_MAGIC) {
        status = 1;
      } else if (w == null || w.generation() != generation) {
        status = 2;
      } else if (dst != w.rank() || worldSize != w.worldSize() || src < 0 || src >= worldSize) {
        status = 3;
      } else {
        status = w.attachIncoming(src, ch) ? Handshake.ACCEPTED : 4;
      }
      ByteBuffer reply = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(status).flip();
      while (reply.hasRemaining()) {
        ch.write(reply);
      }
      if (status != Handshake.ACCEPTED) {
        log.warn("refused bulk connection from {} (rank {}, generation {}): {}",
            ch.getRemoteAddress(), src, generation, Handshake.REFUSALS[status]);
        ch.close();
      }
    } catch (IOException e) {
      log.warn("bulk connection preface failed: {}", e.toString());
      try {
        ch.close();
      } catch (IOException ignored) {
        // Already broken.
      }
    }
  }

  @Override
  public void close() {
    NetworkExchange w = current;
    if (w != null) {
      w.close();
    }
    try {
      bulk.close();
    } catch (IOException ignored) {
      // Nothing left to release.
    }
    if (unixBulk != null) {
      unixBulk.close();
    }
    // Closed, the channels wake their accept loops; the ports are free once these have left.
    for (Thread t : acceptors) {
      try {
        t.join(TimeUnit.SECONDS.toMillis(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      if (t.isAlive()) {
        log.warn("{} still in accept 5 s after its socket was closed", t.getName());
      }
    }
    grpc.shutdownNow();
    try {
      grpc.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
