package org.olmo4j.exchange;

import io.grpc.ManagedChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The connections of one rank to its world: a gRPC control channel to every peer (Hello, Abort)
 * and one raw bulk connection (TCP, or AF_UNIX on one host) per ordered pair of ranks, outgoing
 * ones opened here, incoming ones attached by the {@link ExchangeServer}'s acceptors.
 */
final class WorldLinks {

  final int rank;
  final int worldSize;
  final long generation;
  final Peer[] peers;
  final ManagedChannel[] control;
  final BulkSender[] senders;
  final BulkReceiver[] receivers;
  private final int chunkBytes;
  private boolean closed;

  WorldLinks(int rank, long generation, List<InetSocketAddress> controlEndpoints,
      InetSocketAddress ownBulk, int chunkBytes) {
    this.worldSize = controlEndpoints.size();
    if (rank < 0 || rank >= worldSize) {
      throw new IllegalArgumentException("rank " + rank + " outside world of " + worldSize);
    }
    this.rank = rank;
    this.generation = generation;
    this.chunkBytes = chunkBytes;
    this.peers = new Peer[worldSize];
    this.control = new ManagedChannel[worldSize];
    this.senders = new BulkSender[worldSize];
    this.receivers = new BulkReceiver[worldSize];
    for (int r = 0; r < worldSize; r++) {
      peers[r] = new Peer(r, controlEndpoints.get(r), r == rank ? ownBulk : null);
    }
  }

  /**
   * Hello to every peer, then bulk connections both ways, by {@code deadline} (nanoTime);
   * {@code usable} throws when the world was aborted or closed meanwhile.
   */
  void connect(org.olmo4j.proto.collective.HelloRequest hello, long deadline,
      LongSupplier abortedBy, Runnable usable) throws IOException {
    for (int j = 0; j < worldSize; j++) {
      if (j != rank) {
        control[j] = Handshake.channel(peers[j].control());
        peers[j] = Handshake.hello(control[j], peers[j], hello, deadline, abortedBy);
      }
    }
    for (int j = 0; j < worldSize; j++) {
      if (j != rank) {
        senders[j] = new BulkSender(Handshake.openBulk(peers[j], rank, worldSize, generation),
            peers[j], chunkBytes);
      }
    }
    awaitIncoming(deadline, usable);
  }

  /** The peers this rank sends to over AF_UNIX (on this host), in rank order. */
  List<Integer> unixPeers() {
    List<Integer> out = new ArrayList<>();
    for (int j = 0; j < worldSize; j++) {
      if (senders[j] != null && senders[j].unix()) {
        out.add(j);
      }
    }
    return out;
  }

  /** Registers the bulk connection from {@code src}; false when one is there or links are closed. */
  synchronized boolean attachIncoming(int src, SocketChannel channel) {
    if (src == rank || receivers[src] != null || closed) {
      return false;
    }
    receivers[src] = new BulkReceiver(channel, peers[src], rank, chunkBytes);
    notifyAll();
    return true;
  }

  private synchronized void awaitIncoming(long deadline, Runnable usable) {
    for (int j = 0; j < worldSize; j++) {
      while (j != rank && receivers[j] == null) {
        usable.run();
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new ExchangeException("rank " + rank + " could not join generation " + generation
              + ": " + peers[j] + " did not open its bulk connection in time");
        }
        try {
          wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new ExchangeException("interrupted while joining generation " + generation, e);
        }
      }
    }
  }

  /** Wakes a join waiting for incoming connections (after an abort). */
  synchronized void wake() {
    notifyAll();
  }

  /** Closes every bulk connection; no new ones are attached. */
  void closeBulk() {
    synchronized (this) {
      closed = true;
    }
    for (int j = 0; j < worldSize; j++) {
      if (senders[j] != null) {
        senders[j].close();
      }
      BulkReceiver r;
      synchronized (this) {
        r = receivers[j];
      }
      if (r != null) {
        r.close();
      }
    }
  }

  void closeControl() {
    for (ManagedChannel ch : control) {
      if (ch != null) {
        ch.shutdownNow();
      }
    }
  }
}
