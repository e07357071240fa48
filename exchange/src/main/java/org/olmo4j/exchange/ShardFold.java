package org.olmo4j.exchange;

import java.nio.ByteBuffer;
import org.olmo4j.model.FlatVector;

/**
 * The sum of one reduce-scatter, taken by the receiving threads as the peers' chunks arrive:
 * chunk by chunk, contributions are folded into the shard strictly in rank order, {@code
 * ((x0 + x1) + x2) + ...}; a receiver whose turn on a chunk has not come waits (its socket fills).
 * This rank's own contribution is folded by the receiver of the rank just before or after it, in
 * the same cache-sized blocks, so that the shard is written to memory once and no payload is staged.
 */
final class ShardFold {

  /** Elements per pass: 64 KiB of partial sum stays in L1/L2 while every contribution is added. */
  static final int BLOCK = FoldKernel.BLOCK;
  private static final long WAIT_MILLIS = 50;

  private final FlatVector own;
  private final int ownStart;
  /** Where the sum goes: {@code shard[shardAt ..]}, written, or added to when {@code accumulate}. */
  private final float[] shard;
  private final int shardAt;
  private final int length;
  private final boolean accumulate;
  private final int rank;
  private final int step;
  private final OpProgress progress;
  private final FoldKernel kernel;
  /** Per chunk: the rank whose contribution is folded next. */
  private final int[] next;
  /** Per chunk: elements folded so far by the rank whose turn it is. */
  private final int[] folded;

  /** Folds {@code full[ownStart ..]} and the peers' payloads into {@code shard}, chunks of {@code step}. */
  ShardFold(FlatVector full, int ownStart, float[] shard, int rank, int step, OpProgress progress) {
    this(full, ownStart, shard, 0, shard.length, false, rank, step, progress);
  }

  /**
   * As above into {@code shard[shardAt, shardAt + length)}; with {@code accumulate}, the sum is
   * added to what is there ({@code acc + (x0 + x1)}), which a world of at most two ranks does in
   * its one pass over each element.
   */
  ShardFold(FlatVector full, int ownStart, float[] shard, int shardAt, int length,
      boolean accumulate, int rank, int step, OpProgress progress) {
    this.own = full;
    this.ownStart = ownStart;
    this.shard = shard;
    this.shardAt = shardAt;
    this.length = length;
    this.accumulate = accumulate;
    this.rank = rank;
    this.step = step;
    this.progress = progress;
    this.kernel = FoldKernel.BEST;
    int chunks = (length + step - 1) / step;
    this.next = new int[chunks];
    this.folded = new int[chunks];
  }

  /** Where the payloads of {@code peer} go: each is folded as soon as the chunk is its turn. */
  BulkReceiver.Landing from(int peer) {
    return (payload, at, n) -> {
      for (int done = 0; done < n; ) {
        int i = at + done;
        int c = i / step;
        int m = Math.min(n - done, Math.min((c + 1) * step, length) - i);
        int turn = awaitTurn(c, peer);
        boolean ownBefore = turn == rank;
        boolean ownAfter = rank == peer + 1;
        fold(payload, done, i, m, turn == 0, ownBefore, ownAfter);
        finish(c, m, peer + (ownAfter ? 2 : 1));
        done += m;
      }
    };
  }

  /**
   * Folds {@code n} payload elements (and this rank's own, when it is folded by this peer) into
   * {@code shard[at ..]}, each block in one pass over the shard: the shard is read at most once
   * and written once, whatever the number of contributions.
   */
  private void fold(ByteBuffer payload, int payloadAt, int at, int n, boolean first,
      boolean ownBefore, boolean ownAfter) {
    boolean withOwn = ownBefore || ownAfter;
    if (accumulate && !(first && withOwn)) {
      throw new IllegalStateException("a fold adds to its shard in one pass, so in a world of two");
    }
    for (int b = 0; b < n; ) {
      int len = Math.min(FoldKernel.BLOCK, n - b);
      ByteBuffer ownBlock = null;
      if (withOwn) {
        len = Math.min(len, own.contiguous(ownStart + at + b));
        ownBlock = own.view(ownStart + at + b, len);
      }
      int payloadByte = (payloadAt + b) * Float.BYTES;
      if (accumulate) {
        // Two ranks: this is the one pass over these elements, own and the peer's together.
        kernel.foldAdd(shard, shardAt + at + b, payload, payloadByte, ownBlock, len);
      } else {
        kernel.fold(shard, shardAt + at + b, payload, payloadByte, ownBlock, ownBefore, first, len);
      }
      b += len;
    }
  }

  /** Waits until {@code peer} may fold chunk {@code c}; returns whose turn it was (peer, or us just before). */
  private synchronized int awaitTurn(int c, int peer) {
    while (next[c] != peer && !(next[c] == rank && rank + 1 == peer)) {
      progress.checkRunning();
      try {
        wait(WAIT_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ExchangeException("interrupted while summing a reduce-scatter", e);
      }
    }
    return next[c];
  }

  private synchronized void finish(int c, int m, int nextRank) {
    folded[c] += m;
    if (folded[c] == Math.min(step, length - c * step)) {
      folded[c] = 0;
      next[c] = nextRank;
      notifyAll();
    }
  }

  /** The whole sum when there are no peers (a world of one). */
  void ownOnly() {
    if (!accumulate) {
      own.get(ownStart, shard, shardAt, length);
      return;
    }
    own.addTo(ownStart, shard, shardAt, length);
  }
}
