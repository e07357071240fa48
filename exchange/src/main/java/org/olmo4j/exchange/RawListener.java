package org.olmo4j.exchange;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A listening socket of the benchmark's raw references, on the transport under test (TCP on
 * {@link LoopbackRendezvous#HOST}, or AF_UNIX as {@link UnixBulk}), named by one number other
 * JVMs connect to: the TCP port, or for AF_UNIX this process's id and a counter (the socket's
 * file name).
 */
final class RawListener implements AutoCloseable {

  private static final AtomicInteger COUNTER = new AtomicInteger();

  final ServerSocketChannel channel;
  /** What {@link #connect} takes. */
  final long id;
  /** The AF_UNIX socket's file; null over TCP. */
  private final Path path;

  private RawListener(ServerSocketChannel channel, long id, Path path) {
    this.channel = channel;
    this.id = id;
    this.path = path;
  }

  static RawListener open(BulkTransport transport) throws IOException {
    if (transport == BulkTransport.TCP) {
      ServerSocketChannel ch = ServerSocketChannel.open()
          .bind(new InetSocketAddress(LoopbackRendezvous.HOST, 0));
      return new RawListener(ch, ((InetSocketAddress) ch.getLocalAddress()).getPort(), null);
    }
    long id = ProcessHandle.current().pid() * 1000 + COUNTER.getAndIncrement() % 1000;
    Path path = path(id);
    return new RawListener(UnixBulk.bind(path), id, path);
  }

  /** Connects to the listener {@code id} of another JVM. */
  static SocketChannel connect(BulkTransport transport, long id) throws IOException {
    SocketChannel ch = transport == BulkTransport.UNIX ? UnixBulk.connect(path(id))
        : SocketChannel.open(new InetSocketAddress(LoopbackRendezvous.HOST, (int) id));
    BulkSockets.tune(ch);
    return ch;
  }

  SocketChannel accept() throws IOException {
    SocketChannel ch = channel.accept();
    BulkSockets.tune(ch);
    return ch;
  }

  private static Path path(long id) {
    return UnixBulk.tmpDir().resolve("olmo4j-raw-" + id + ".sock");
  }

  @Override
  public void close() throws IOException {
    try {
      channel.close();
    } finally {
      if (path != null) {
        Files.deleteIfExists(path);
      }
    }
  }
}
