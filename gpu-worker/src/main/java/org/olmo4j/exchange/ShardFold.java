package org.olmo4j.exchange;

import java.nio.FloatBuffer;

/**
 * The sum of one reduce-scatter, taken by the receiving threads as the peers' chunks arrive:
 * chunk by chunk, contributions are folded into the shard strictly in rank order, {@code
 * ((x0 + x1) + x2) + ...}; a receiver whose turn on a chunk has not come waits (its socket fills).
 * This rank's own contribution is folded by the receiver of the rank just before or after it, in
 * the same cache-sized blocks, so that the shard is written to memory once and no payload is staged.
 */
final class ShardFold {

  /** Elements per pass: 64 KiB of partial sum stays in L1/L2 while every contribution is added. */
  static final int BLOCK = 16 << 10;
  private static final long WAIT_MILLIS = 50;

  private final float[] own;
  private final int ownStart;
  private final float[] shard;
  private final int rank;
  private final int step;
  private final OpProgress progress;
  /** Per chunk: the rank whose contribution is folded next. */
  private final int[] next;
  /** Per chunk: elements folded so far by the rank whose turn it is. */
  private final int[] folded;

  /** Folds {@code full[ownStart ..]} and the peers' payloads into {@code shard}, chunks of {@code step}. */
  ShardFold(float[] full, int ownStart, float[] shard, int rank, int step, OpProgress progress) {
    this.own = full;
    this.ownStart = ownStart;
    this.shard = shard;
    this.rank = rank;
    this.step = step;
    this.progress = progress;
    int chunks = (shard.length + step - 1) / step;
    this.next = new int[chunks];
    this.folded = new int[chunks];
  }

  /** Where the payloads of {@code peer} go: each is folded as soon as the chunk is its turn. */
  BulkReceiver.Landing from(int peer) {
    float[] scratch = new float[BLOCK];
    return (payload, at, n) -> {
      FloatBuffer src = payload.asFloatBuffer();
      for (int done = 0; done < n; ) {
        int i = at + done;
        int c = i / step;
        int m = Math.min(n - done, Math.min((c + 1) * step, shard.length) - i);
        int turn = awaitTurn(c, peer);
        boolean ownBefore = turn == rank;
        boolean ownAfter = rank == peer + 1;
        fold(src, done, i, m, turn == 0, ownBefore, ownAfter, scratch);
        finish(c, m, peer + (ownAfter ? 2 : 1));
        done += m;
      }
    };
  }

  private void fold(FloatBuffer src, int srcAt, int at, int n, boolean first, boolean ownBefore,
      boolean ownAfter, float[] scratch) {
    for (int b = 0; b < n; b += BLOCK) {
      int len = Math.min(BLOCK, n - b);
      int i = at + b;
      boolean empty = first;
      if (ownBefore) {
        addOrCopy(empty, i, own, ownStart + i, len);
        empty = false;
      }
      if (empty) {
        src.get(srcAt + b, shard, i, len);
      } else {
        src.get(srcAt + b, scratch, 0, len);
        RankOrderSum.add(shard, i, scratch, 0, len);
      }
      if (ownAfter) {
        RankOrderSum.add(shard, i, own, ownStart + i, len);
      }
    }
  }

  private void addOrCopy(boolean copy, int at, float[] x, int xAt, int n) {
    if (copy) {
      System.arraycopy(x, xAt, shard, at, n);
    } else {
      RankOrderSum.add(shard, at, x, xAt, n);
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
    if (folded[c] == Math.min(step, shard.length - c * step)) {
      folded[c] = 0;
      next[c] = nextRank;
      notifyAll();
    }
  }

  /** The whole sum when there are no peers (a world of one). */
  void ownOnly() {
    System.arraycopy(own, ownStart, shard, 0, shard.length);
  }
}
