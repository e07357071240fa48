package org.olmo4j.exchange;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import org.olmo4j.model.FlatVector;
import org.olmo4j.train.Collectives;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A rank of a world whose peers are other processes: direct all-to-all over one raw TCP connection
 * (AF_UNIX between ranks of one host) per ordered pair of ranks, sends and receives on their own
 * threads; gRPC for Hello and Abort.
 * Created by {@link ExchangeServer#join}.
 */
public final class NetworkExchange implements TensorExchange {

  private static final Logger log = LoggerFactory.getLogger(NetworkExchange.class);

  private final ExchangeServer server;
  private final int rank;
  private final int worldSize;
  private final long generation;
  private final ExchangeOptions options;
  private final WorldLinks links;
  private final Peer[] peers;
  private BulkTasks tasks;
  private long sequence;
  private volatile long abortedBy = -1;
  /** Set once {@link #connect} has succeeded: then {@link #abandonJoin} does nothing. */
  private boolean joined;
  private volatile String broken;
  private volatile OpProgress current;
  /**
   * {@link #reduceScatterAdd}'s sums in a world of more than two ranks, kept (the longest unit's
   * piece): one collective runs at a time.
   */
  private float[] sums;

  NetworkExchange(ExchangeServer server, int rank, long generation,
      List<InetSocketAddress> controlEndpoints, ExchangeOptions options) {
    this.links = new WorldLinks(rank, generation, controlEndpoints, server.bulkAddress(),
        options.chunkBytes());
    this.server = server;
    this.rank = rank;
    this.worldSize = links.worldSize;
    this.generation = generation;
    this.options = options;
    this.peers = links.peers;
  }

  /** Hello to every peer, bulk connections both ways; fails after the configured timeout. */
  void connect() throws IOException {
    long deadline = System.nanoTime() + options.timeout().toNanos();
    links.connect(server.helloFrom(rank, worldSize, generation), deadline, () -> abortedBy,
        this::checkUsable);
    synchronized (this) {
      checkUsable(); // abandoned after the last wait for a peer
      joined = true;
    }
    tasks = new BulkTasks(peers, rank, generation);
    List<Integer> unix = links.unixPeers();
    log.info("rank {} of {} joined generation {}{}", rank, worldSize, generation,
        unix.isEmpty() ? "" : " (bulk frames to ranks " + unix + " over AF_UNIX, on this host)");
  }

  /** The peers this rank sends bulk frames to over AF_UNIX (on this host), in rank order. */
  List<Integer> unixPeers() {
    return links.unixPeers();
  }

  /** Registers the bulk connection from {@code src}; false when it cannot be used. */
  boolean attachIncoming(int src, SocketChannel channel) {
    return broken == null && abortedBy < 0 && links.attachIncoming(src, channel);
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
  public void reduceScatter(FlatVector full, float[] myShard) {
    int total = VectorArgs.length(full, DType.FP32, "reduce-scatter");
    ShardArgs.reduceScatter(total, myShard.length, rank, worldSize);
    reduceScatter(full, myShard, 0, false);
  }

  /**
   * In a world of at most two ranks the sum is added as it is taken, in the fold's one pass over
   * each element; a larger world folds into a kept array first (its partial sums need a place of
   * their own), then adds.
   */
  @Override
  public void reduceScatterAdd(FlatVector full, float[] acc, int at) {
    int total = VectorArgs.length(full, DType.FP32, "reduce-scatter");
    int len = Collectives.checkAccumulator(total, acc, at, rank, worldSize);
    if (worldSize <= 2) {
      reduceScatter(full, acc, at, true);
      return;
    }
    if (sums == null || sums.length < len) {
      sums = new float[len];
    }
    reduceScatter(full, sums, 0, false);
    for (int i = 0; i < len; i++) {
      acc[at + i] += sums[i];
    }
  }

  /** This rank's part of the sum into {@code dst[at ..]}, written or (two ranks) added. */
  private void reduceScatter(FlatVector full, float[] dst, int at, boolean accumulate) {
    int total = (int) full.length();
    ShardRanges ranges = new ShardRanges(total, worldSize);
    int myStart = (int) ranges.start(rank);
    int myLen = ranges.length(rank);
    OpProgress p = begin(OpKind.REDUCE_SCATTER, expectEach(myLen));
    try {
      Elements src = Elements.of(full);
      ShardFold fold = new ShardFold(full, myStart, dst, at, myLen, accumulate, rank,
          options.chunkBytes() / Float.BYTES, p);
      for (int j = 0; j < worldSize; j++) {
        if (j == rank) {
          continue;
        }
        int jStart = (int) ranges.start(j);
        int jLen = ranges.length(j);
        BulkSender s = links.senders[j];
        if (jLen > 0) {
          FrameHeader out = header(OpKind.REDUCE_SCATTER, DType.FP32, rank, j, total, jStart, jLen);
          tasks.submit(p, j, true, () -> s.send(out, src, jStart, jStart, jLen));
        }
        if (myLen > 0) {
          FrameHeader in = header(OpKind.REDUCE_SCATTER, DType.FP32, j, rank, total, myStart, myLen);
          BulkReceiver r = links.receivers[j];
          BulkReceiver.Sink sink = r.via(DType.FP32, fold.from(j));
          tasks.submit(p, j, false, () -> r.receive(in, sink, p));
        }
      }
      if (worldSize == 1) {
        fold.ownOnly();
      }
      p.awaitDone();
    } catch (ExchangeException e) {
      throw failed(e);
    } finally {
      current = null;
    }
  }

  @Override
  public void allGatherInPlace(FlatVector full) {
    int total = VectorArgs.length(full, full.isFp32() ? DType.FP32 : DType.BF16, "all-gather");
    Elements elements = Elements.of(full);
    int myStart = (int) new ShardRanges(total, worldSize).start(rank);
    gather(elements, myStart, elements, total);
  }

  /**
   * Sends this rank's shard from {@code shard} (index {@code sendFrom} on; {@code full} itself:
   * in place) and receives every other shard into {@code full}.
   */
  private void gather(Elements shard, int sendFrom, Elements full, int total) {
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
        BulkSender s = links.senders[j];
        if (myLen > 0) {
          tasks.submit(p, j, true, () -> s.send(out, shard, sendFrom, myStart, myLen));
        }
        int jStart = (int) ranges.start(j);
        int jLen = ranges.length(j);
        FrameHeader in = header(OpKind.ALL_GATHER, shard.dtype(), j, rank, total, jStart, jLen);
        BulkReceiver r = links.receivers[j];
        if (jLen > 0) {
          tasks.submit(p, j, false, () -> r.receive(in, r.into(full, jStart), p));
        }
      }
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
      Elements mine = Elements.of(values);
      for (int j = 0; j < worldSize; j++) {
        if (j == rank || len == 0) {
          parts[j] = j == rank ? values : new double[0];
          continue;
        }
        double[] part = parts[j] = new double[len];
        BulkSender s = links.senders[j];
        BulkReceiver r = links.receivers[j];
        FrameHeader out = header(OpKind.ALL_REDUCE, DType.FP64, rank, j, len, 0, len);
        FrameHeader in = header(OpKind.ALL_REDUCE, DType.FP64, j, rank, len, 0, len);
        tasks.submit(p, j, true, () -> s.send(out, mine, 0, 0, len));
        tasks.submit(p, j, false, () -> r.receive(in, r.into(Elements.of(part), 0), p));
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
    AbortBroadcast.send(links.control, rank, generation, newGeneration,
        Math.min(2000, options.timeout().toMillis()));
    closeTransport();
  }

  /**
   * Gives up this world's join, still in progress, because {@code newGeneration} is assigned:
   * {@link #connect} throws {@link ExchangeAbortedException} rather than waiting for its peers
   * until the timeout: a wait for their bulk connections is woken at once, a Hello loop stops
   * at its next attempt (within about a second), and a bulk connect under way ends first (at
   * most its connect timeout). Tells no peer (each is assigned the new generation too) and does
   * not block. False when the world has joined already: then {@link #abort} ends it.
   */
  boolean abandonJoin(long newGeneration) {
    synchronized (this) {
      if (joined || abortedBy >= 0) {
        return false;
      }
      abortedBy = newGeneration;
    }
    links.wake();
    return true;
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
    }
    links.wake();
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
    links.closeControl();
    server.leave(this);
  }

  @Override
  public boolean awaitIdle(Duration timeout) {
    closeTransport();
    return tasks == null || tasks.awaitStopped(timeout);
  }

  private void closeTransport() {
    links.closeBulk();
    if (tasks != null) {
      tasks.shutdown();
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
}
