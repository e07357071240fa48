package org.olmo4j.exchange;

import io.grpc.ManagedChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.olmo4j.proto.collective.AbortRequest;
import org.olmo4j.proto.collective.CollectiveGrpc;
import org.olmo4j.proto.collective.HelloRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A rank of a world whose peers are other processes: direct all-to-all over one raw TCP connection
 * per ordered pair of ranks, sends and receives on their own threads; gRPC for Hello and Abort.
 * Created by {@link ExchangeServer#join}.
 */
public final class NetworkExchange implements TensorExchange {

  private static final Logger log = LoggerFactory.getLogger(NetworkExchange.class);
  /** Elements summed per pass: 64 KiB of partial sum stays in L1/L2 while every rank is added. */
  private static final int SUM_BLOCK = 16 << 10;

  /** A piece of blocking socket work run on a task thread. */
  private interface IoTask {
    void run() throws IOException;
  }

  private final ExchangeServer server;
  private final int rank;
  private final int worldSize;
  private final long generation;
  private final ExchangeOptions options;
  private final Peer[] peers;
  private final ManagedChannel[] control;
  private final BulkSender[] senders;
  private final BulkReceiver[] receivers;
  private ExecutorService tasks;
  private long sequence;
  private float[] scratch = new float[0];
  private volatile long abortedBy = -1;
  private volatile String broken;
  private volatile OpProgress current;

  NetworkExchange(ExchangeServer server, int rank, long generation,
      List<InetSocketAddress> controlEndpoints, ExchangeOptions options) {
    this.worldSize = controlEndpoints.size();
    if (rank < 0 || rank >= worldSize) {
      throw new IllegalArgumentException("rank " + rank + " outside world of " + worldSize);
    }
    this.server = server;
    this.rank = rank;
    this.generation = generation;
    this.options = options;
    this.peers = new Peer[worldSize];
    this.control = new ManagedChannel[worldSize];
    this.senders = new BulkSender[worldSize];
    this.receivers = new BulkReceiver[worldSize];
    for (int r = 0; r < worldSize; r++) {
      peers[r] = new Peer(r, controlEndpoints.get(r), r == rank ? server.bulkAddress() : null);
    }
  }

  /** Hello to every peer, bulk connections both ways; fails after the configured timeout. */
  void connect() throws IOException {
    long deadline = System.nanoTime() + options.timeout().toNanos();
    HelloRequest hello = server.helloFrom(rank, worldSize, generation);
    for (int j = 0; j < worldSize; j++) {
      if (j != rank) {
        control[j] = Handshake.channel(peers[j].control());
        peers[j] = Handshake.hello(control[j], peers[j], hello, deadline, () -> abortedBy);
      }
    }
    for (int j = 0; j < worldSize; j++) {
      if (j != rank) {
        senders[j] = new BulkSender(Handshake.openBulk(peers[j], rank, worldSize, generation),
            peers[j], options.chunkBytes());
      }
    }
    awaitIncoming(deadline);
    AtomicInteger n = new AtomicInteger();
    tasks = Executors.newFixedThreadPool(Math.max(1, 2 * (worldSize - 1)), r -> {
      Thread t = new Thread(r, "exchange-g" + generation + "-r" + rank + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    log.info("rank {} of {} joined generation {}", rank, worldSize, generation);
  }

  /** Registers the bulk connection from {@code src}; false when one is already there. */
  synchronized boolean attachIncoming(int src, SocketChannel channel) {
    if (src == rank || receivers[src] != null || broken != null || abortedBy >= 0) {
      return false;
    }
    receivers[src] = new BulkReceiver(channel, peers[src], rank, options.chunkBytes());
    notifyAll();
    return true;
  }

  private synchronized void awaitIncoming(long deadline) {
    for (int j = 0; j < worldSize; j++) {
      while (j != rank && receivers[j] == null) {
        checkUsable();
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

  @Override
  public int rank() {
    return rank;
  }

  @Override
  public int worldSize() {
    return worldSize;
  }

  @Override
  public long generation() {
    return generation;
  }

  @Override
  public void reduceScatter(float[] full, float[] myShard) {
    ShardRanges ranges = ShardArgs.reduceScatter(full.length, myShard.length, rank, worldSize);
    int myStart = (int) ranges.start(rank);
    int myLen = myShard.length;
    OpProgress p = begin(OpKind.REDUCE_SCATTER, expectEach(myLen));
    try {
      Elements src = Elements.of(full);
      FloatBuffer[] views = new FloatBuffer[worldSize];
      for (int j = 0; j < worldSize; j++) {
        if (j == rank) {
          continue;
        }
        int jStart = (int) ranges.start(j);
        int jLen = ranges.length(j);
        FrameHeader out = header(OpKind.REDUCE_SCATTER, DType.FP32, rank, j, full.length, jStart, jLen);
        BulkSender s = senders[j];
        if (jLen > 0) {
          submit(p, j, true, () -> s.send(out, src, jStart, jStart, jLen));
        }
        if (myLen > 0) {
          ByteBuffer staging = receivers[j].staging(myLen * Float.BYTES);
          views[j] = staging.asFloatBuffer();
          FrameHeader in = header(OpKind.REDUCE_SCATTER, DType.FP32, j, rank, full.length, myStart, myLen);
          BulkReceiver r = receivers[j];
          submit(p, j, false, () -> r.receive(in, BulkReceiver.inPlace(staging, DType.FP32), p));
        }
      }
      sumInRankOrder(full, myStart, myShard, views, p);
      p.awaitDone();
    } catch (ExchangeException e) {
      throw failed(e);
    } finally {
      current = null;
    }
  }

  /**
   * Sums chunk by chunk as contributions arrive, always adding rank 0, 1, 2, ... in order; within
   * a chunk, block by block, so that the partial sum stays in cache across the ranks' passes.
   */
  private void sumInRankOrder(float[] full, int myStart, float[] myShard, FloatBuffer[] views,
      OpProgress p) {
    int step = options.chunkBytes() / Float.BYTES;
    if (scratch.length < SUM_BLOCK) {
      scratch = new float[SUM_BLOCK];
    }
    for (int c = 0; c < myShard.length; c += step) {
      int end = Math.min(myShard.length, c + step);
      p.awaitReceived(end);
      for (int b = c; b < end; b += SUM_BLOCK) {
        int n = Math.min(SUM_BLOCK, end - b);
        for (int k = 0; k < worldSize; k++) {
          if (k == rank) {
            if (k == 0) {
              System.arraycopy(full, myStart + b, myShard, b, n);
            } else {
              RankOrderSum.add(myShard, b, full, myStart + b, n);
            }
          } else if (k == 0) {
            views[0].get(b, myShard, b, n);
          } else {
            views[k].get(b, scratch, 0, n);
            RankOrderSum.add(myShard, b, scratch, 0, n);
          }
        }
      }
    }
  }

  @Override
  public void allGatherBf16(short[] myShardBf16, short[] fullBf16) {
    ShardArgs.allGather(fullBf16.length, myShardBf16.length, rank, worldSize);
    gather(Elements.of(myShardBf16), myShardBf16, Elements.of(fullBf16), fullBf16, fullBf16.length);
  }

  @Override
  public void allGather(float[] myShard, float[] full) {
    ShardArgs.allGather(full.length, myShard.length, rank, worldSize);
    gather(Elements.of(myShard), myShard, Elements.of(full), full, full.length);
  }

  private void gather(Elements shard, Object shardArray, Elements full, Object fullArray, int total) {
    ShardRanges ranges = new ShardRanges(total, worldSize);
    long[] expected = new long[worldSize];
    for (int j = 0; j < worldSize; j++) {
      expected[j] = j == rank ? 0 : ranges.length(j);
    }
    OpProgress p = begin(OpKind.ALL_GATHER, expected);
    try {
      int myStart = (int) ranges.start(rank);
      int myLen = ranges.length(rank);
      for (int j = 0; j < worldSize; j++) {
        if (j == rank) {
          continue;
        }
        FrameHeader out = header(OpKind.ALL_GATHER, shard.dtype(), rank, j, total, myStart, myLen);
        BulkSender s = senders[j];
        if (myLen > 0) {
          submit(p, j, true, () -> s.send(out, shard, 0, myStart, myLen));
        }
        int jStart = (int) ranges.start(j);
        int jLen = ranges.length(j);
        FrameHeader in = header(OpKind.ALL_GATHER, shard.dtype(), j, rank, total, jStart, jLen);
        BulkReceiver r = receivers[j];
        if (jLen > 0) {
          submit(p, j, false, () -> r.receive(in, r.into(full, jStart), p));
        }
      }
      System.arraycopy(shardArray, 0, fullArray, myStart, myLen);
      p.awaitDone();
    } catch (ExchangeException e) {
      throw failed(e);
    } finally {
      current = null;
    }
  }

  @Override
  public double[] allReduceSum(double[] values) {
    int len = values.length;
    OpProgress p = begin(OpKind.ALL_REDUCE, expectEach(len));
    try {
      double[][] parts = new double[worldSize][];
      parts[rank] = values;
      Elements mine = Elements.of(values);
      for (int j = 0; j < worldSize; j++) {
        if (j == rank || len == 0) {
          parts[j] = j == rank ? values : new double[0];
          continue;
        }
        double[] part = parts[j] = new double[len];
        BulkSender s = senders[j];
        BulkReceiver r = receivers[j];
        FrameHeader out = header(OpKind.ALL_REDUCE, DType.FP64, rank, j, len, 0, len);
        FrameHeader in = header(OpKind.ALL_REDUCE, DType.FP64, j, rank, len, 0, len);
        submit(p, j, true, () -> s.send(out, mine, 0, 0, len));
        submit(p, j, false, () -> r.receive(in, r.into(Elements.of(part), 0), p));
      }
      p.awaitDone();
      double[] sum = parts[0].clone();
      for (int k = 1; k < worldSize; k++) {
        RankOrderSum.add(sum, parts[k]);
      }
      return sum;
    } catch (ExchangeException e) {
      throw failed(e);
    } finally {
      current = null;
    }
  }

  @Override
  public void abort(long newGeneration) {
    if (newGeneration <= generation) {
      throw new IllegalArgumentException("new generation " + newGeneration
          + " must be newer than " + generation);
    }
    if (!markAborted(newGeneration)) {
      return;
    }
    // Peers learn of the abort before our sockets close, so they report an abort, not a loss.
    AbortRequest request = AbortRequest.newBuilder().setFromRank(rank).setNewGeneration(newGeneration).build();
    long waitMillis = Math.min(2000, options.timeout().toMillis());
    var replies = new java.util.ArrayList<com.google.common.util.concurrent.ListenableFuture<?>>();
    for (int j = 0; j < worldSize; j++) {
      if (control[j] != null) {
        replies.add(CollectiveGrpc.newFutureStub(control[j])
            .withDeadlineAfter(waitMillis, TimeUnit.MILLISECONDS).abort(request));
      }
    }
    for (var reply : replies) {
      try {
        reply.get(waitMillis, TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        log.warn("rank {}: a peer did not acknowledge abort of generation {}: {}", rank, generation,
            e.toString());
      }
    }
    closeTransport();
  }

  /** Abort announced by rank {@code fromRank}; our sockets stay until {@link #close}. */
  void abortFromPeer(long newGeneration, int fromRank) {
    if (markAborted(newGeneration)) {
      log.info("rank {}: generation {} aborted by rank {} for generation {}", rank, generation,
          fromRank, newGeneration);
    }
  }

  private boolean markAborted(long newGeneration) {
    synchronized (this) {
      if (abortedBy >= 0) {
        return false;
      }
      abortedBy = newGeneration;
      notifyAll();
    }
    OpProgress p = current;
    if (p != null) {
      p.wake();
    }
    return true;
  }

  @Override
  public void close() {
    if (broken == null) {
      broken = "closed";
    }
    closeTransport();
    for (ManagedChannel ch : control) {
      if (ch != null) {
        ch.shutdownNow();
      }
    }
    server.leave(this);
  }

  private void closeTransport() {
    for (int j = 0; j < worldSize; j++) {
      if (senders[j] != null) {
        senders[j].close();
      }
      if (receivers[j] != null) {
        receivers[j].close();
      }
    }
    if (tasks != null) {
      tasks.shutdownNow();
    }
  }

  private void checkUsable() {
    if (abortedBy >= 0) {
      throw new ExchangeAbortedException(generation, abortedBy);
    }
    if (broken != null) {
      throw new ExchangeException("exchange of rank " + rank + ", generation " + generation
          + " is unusable: " + broken);
    }
  }

  private OpProgress begin(OpKind op, long[] expected) {
    checkUsable();
    sequence++;
    OpProgress p = new OpProgress(op + " #" + sequence + " on rank " + rank + " (generation "
        + generation + ")", peers, expected, generation, options.timeout().toMillis(),
        () -> abortedBy);
    current = p;
    return p;
  }

  private ExchangeException failed(ExchangeException e) {
    if (!(e instanceof ExchangeAbortedException) && broken == null) {
      broken = e.getMessage();
      closeTransport(); // peers blocked on us fail now instead of at their timeout
    }
    return e;
  }

  private long[] expectEach(long n) {
    long[] expected = new long[worldSize];
    for (int j = 0; j < worldSize; j++) {
      expected[j] = j == rank ? 0 : n;
    }
    return expected;
  }

  private FrameHeader header(OpKind op, DType dtype, int src, int dst, long total, long offset,
      int count) {
    return new FrameHeader(op, dtype, src, dst, generation, sequence, total, offset, count,
        count * dtype.bytes());
  }

  private void submit(OpProgress p, int peer, boolean isSend, IoTask task) {
    p.taskStarted(peer, isSend);
    try {
      tasks.execute(() -> {
        try {
          task.run();
        } catch (ExchangeException e) {
          p.fail(e);
        } catch (IOException | RuntimeException e) {
          p.fail(new ExchangeException((isSend ? "sending to " : "receiving from ") + peers[peer]
              + " failed (rank " + rank + ", generation " + generation + "): " + e, e));
        } finally {
          p.taskDone(peer, isSend);
        }
      });
    } catch (RejectedExecutionException e) {
      p.taskDone(peer, isSend);
      p.fail(new ExchangeException("exchange of rank " + rank + " is shut down", e));
    }
  }
}
