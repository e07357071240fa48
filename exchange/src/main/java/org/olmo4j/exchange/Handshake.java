package org.olmo4j.exchange;

import io.grpc.Codec;
import io.grpc.DecompressorRegistry;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.olmo4j.proto.collective.CollectiveGrpc;
import org.olmo4j.proto.collective.HelloReply;
import org.olmo4j.proto.collective.HelloRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Joining a world: Hello over gRPC to learn each peer's bulk endpoint (and, on this host, its
 * AF_UNIX socket), then one raw bulk connection per ordered pair of ranks, opened with a preface
 * the accepting side checks.
 */
final class Handshake {

  private static final Logger log = LoggerFactory.getLogger(Handshake.class);

  /** "OLMB" (little-endian on the wire). */
  static final int PREFACE_MAGIC = 0x424D4C4F;
  static final int PREFACE_BYTES = 24;
  static final int ACCEPTED = 0;
  static final String[] REFUSALS = {
    "accepted", "bad preface magic", "no world of that generation", "rank or world size mismatch",
    "duplicate connection"
  };
  static final int MAX_GRPC_MESSAGE = BulkReceiver.MAX_FRAME_BYTES + (1 << 20);
  static final int FLOW_WINDOW = 16 << 20;

  private Handshake() {}

  /** A plaintext gRPC channel with gzip off and room for large chunks. */
  static ManagedChannel channel(InetSocketAddress address) {
    return NettyChannelBuilder.forAddress(address)
        .usePlaintext()
        .decompressorRegistry(DecompressorRegistry.emptyInstance().with(Codec.Identity.NONE, false))
        .maxInboundMessageSize(MAX_GRPC_MESSAGE)
        .flowControlWindow(FLOW_WINDOW)
        .build();
  }

  /** Says Hello to {@code peer} until it has joined the same generation; returns it with its bulk endpoint. */
  static Peer hello(ManagedChannel channel, Peer peer, HelloRequest request, long deadline,
      LongSupplier abortedBy) {
    String lastProblem = "no answer";
    while (System.nanoTime() < deadline) {
      if (abortedBy.getAsLong() >= 0) {
        throw new ExchangeAbortedException(request.getGeneration(), abortedBy.getAsLong());
      }
      try {
        HelloReply reply = CollectiveGrpc.newBlockingStub(channel)
            .withDeadlineAfter(1, TimeUnit.SECONDS)
            .hello(request);
        switch (reply.getStatus()) {
          case READY:
            return checkReady(peer, request, reply);
          case STALE_GENERATION:
            throw new ExchangeAbortedException(request.getGeneration(), reply.getGeneration());
          case REJECTED:
            throw new ExchangeException(peer + " rejected Hello from rank " + request.getRank()
                + ": " + reply.getError());
          default:
            lastProblem = "it has not joined generation " + request.getGeneration() + " yet";
        }
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE
            && e.getStatus().getCode() != Status.Code.DEADLINE_EXCEEDED) {
          throw new ExchangeException("Hello to " + peer + " failed: " + e.getStatus(), e);
        }
        lastProblem = e.getStatus().getCode() + " " + e.getStatus().getDescription();
      }
      sleep(20);
    }
    throw new ExchangeException("rank " + request.getRank() + " could not join generation "
        + request.getGeneration() + ": " + peer + " did not answer Hello in time (" + lastProblem + ")");
  }

  private static Peer checkReady(Peer peer, HelloRequest request, HelloReply reply) {
    if (reply.getRank() != peer.rank() || reply.getWorldSize() != request.getWorldSize()
        || reply.getGeneration() != request.getGeneration()) {
      throw new ExchangeException("endpoint " + peer.control() + " is listed as rank " + peer.rank()
          + " of " + request.getWorldSize() + " in generation " + request.getGeneration()
          + ", but serves rank " + reply.getRank() + " of " + reply.getWorldSize()
          + " in generation " + reply.getGeneration());
    }
    for (org.olmo4j.proto.collective.DType needed : request.getDtypesList()) {
      if (!reply.getDtypesList().contains(needed)) {
        throw new ExchangeException(peer + " does not support dtype " + needed);
      }
    }
    // Over AF_UNIX only when both ends offer it (each node's unix_sockets) on one kernel.
    boolean sameHost = !request.getHostId().isEmpty()
        && request.getHostId().equals(reply.getHostId()) && !reply.getUnixBulkPath().isEmpty();
    return new Peer(peer.rank(), peer.control(), parse(reply.getBulkEndpoint(), peer),
        sameHost ? Path.of(reply.getUnixBulkPath()) : null);
  }

  /**
   * Opens the bulk connection from {@code myRank} to {@code peer} and waits for it to be accepted:
   * at its AF_UNIX socket when it is on this host, over TCP otherwise and when that socket cannot
   * be reached or the connection there is refused.
   */
  static SocketChannel openBulk(Peer peer, int myRank, int worldSize, long generation)
      throws IOException {
    if (peer.unixBulk() != null) {
      try {
        return preface(UnixBulk.connect(peer.unixBulk()), peer, myRank, worldSize, generation);
      } catch (IOException | ExchangeException e) {
        log.info("{}: no bulk connection at its AF_UNIX socket {} ({}); connecting over TCP",
            peer, peer.unixBulk(), e.toString());
      }
    }
    SocketChannel ch = SocketChannel.open();
    try {
      ch.socket().connect(peer.bulk(), 10_000);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
    return preface(ch, peer, myRank, worldSize, generation);
  }

  /** Sends the preface on {@code ch} and waits for it to be accepted; closes {@code ch} if not. */
  private static SocketChannel preface(SocketChannel ch, Peer peer, int myRank, int worldSize,
      long generation) throws IOException {
    try {
      BulkSockets.tune(ch);
      ByteBuffer b = ByteBuffer.allocate(PREFACE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      b.putInt(PREFACE_MAGIC).putLong(generation).putInt(myRank).putInt(peer.rank()).putInt(worldSize);
      b.flip();
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ByteBuffer status = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
      while (status.hasRemaining()) {
        if (ch.read(status) < 0) {
          throw new ExchangeException(peer + " closed the bulk connection during its preface");
        }
      }
      int code = status.flip().getInt();
      if (code != ACCEPTED) {
        throw new ExchangeException(peer + " refused the bulk connection from rank " + myRank
            + " (generation " + generation + "): "
            + (code > 0 && code < REFUSALS.length ? REFUSALS[code] : "code " + code));
      }
      return ch;
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  static String endpoint(InetSocketAddress a) {
    return a.getHostString() + ":" + a.getPort();
  }

  private static InetSocketAddress parse(String hostPort, Peer peer) {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0) {
      throw new ExchangeException(peer + " announced a malformed bulk endpoint '" + hostPort
          + "' (expected host:port)");
    }
    return new InetSocketAddress(hostPort.substring(0, colon),
        Integer.parseInt(hostPort.substring(colon + 1)));
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ExchangeException("interrupted while joining", e);
    }
  }
}
