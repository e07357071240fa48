package org.olmo4j.exchange;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The collectives' traffic pattern on raw java.nio sockets (TCP or AF_UNIX, {@link RawListener}),
 * among the JVMs of an exchange world: one connection per ordered pair of ranks with the bulk
 * connections' socket options, a thread per
 * connection, 8 MiB writes from and reads into direct buffers; every rank sends {@code perPeer}
 * bytes to each other rank while receiving as much from each.
 */
final class RawMesh implements AutoCloseable {

  private final int rank;
  private final SocketChannel[] out;
  private final SocketChannel[] in;
  private final ByteBuffer[] buffers;
  private final ExecutorService pool;

  private RawMesh(int rank, int n) {
    this.rank = rank;
    this.out = new SocketChannel[n];
    this.in = new SocketChannel[n];
    this.buffers = new ByteBuffer[2 * n];
    this.pool = Executors.newFixedThreadPool(2 * (n - 1), r -> {
      Thread t = new Thread(r, "raw-mesh");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Connects every rank of {@code ex}'s world to every other (the listeners' ids are swapped over
   * {@code ex}).
   */
  static RawMesh open(TensorExchange ex, BulkTransport transport) throws IOException {
    int n = ex.worldSize();
    RawMesh m = new RawMesh(ex.rank(), n);
    try (RawListener listen = RawListener.open(transport)) {
      double[] ids = new double[n];
      ids[ex.rank()] = listen.id;
      ids = ex.allReduceSum(ids);
      for (int j = 0; j < n; j++) {
        if (j != m.rank) {
          m.out[j] = RawListener.connect(transport, (long) ids[j]);
          m.out[j].write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, m.rank));
        }
      }
      for (int k = 1; k < n; k++) {
        SocketChannel ch = listen.accept();
        ByteBuffer who = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        RawLoopback.read(ch, who, 4);
        m.in[who.getInt(0)] = ch;
      }
    } catch (IOException | RuntimeException e) {
      m.close();
      throw e;
    }
    for (int i = 0; i < m.buffers.length; i++) {
      m.buffers[i] = ByteBuffer.allocateDirect(RawLoopback.IO_BYTES);
    }
    return m;
  }

  /** Seconds for this rank to send {@code perPeer} bytes to every peer and receive as much from each. */
  double allToAll(long perPeer) throws Exception {
    long t0 = System.nanoTime();
    List<Future<?>> tasks = new ArrayList<>();
    for (int j = 0; j < out.length; j++) {
      if (j != rank) {
        SocketChannel o = out[j];
        SocketChannel i = in[j];
        ByteBuffer ob = buffers[2 * j];
        ByteBuffer ib = buffers[2 * j + 1];
        tasks.add(pool.submit(() -> {
          RawLoopback.write(o, ob, perPeer);
          return null;
        }));
        tasks.add(pool.submit(() -> {
          RawLoopback.read(i, ib, perPeer);
          return null;
        }));
      }
    }
    for (Future<?> f : tasks) {
      f.get();
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  @Override
  public void close() {
    pool.shutdownNow();
    for (int j = 0; j < out.length; j++) {
      RawLoopback.close(out[j]);
      RawLoopback.close(in[j]);
    }
  }
}
