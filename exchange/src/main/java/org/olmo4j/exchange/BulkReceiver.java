package org.olmo4j.exchange;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;

/**
 * Reading end of the raw bulk connection from one peer to this rank. Every frame header is checked
 * against what the current collective expects before its payload is read.
 */
final class BulkReceiver implements AutoCloseable {

  /** Where payloads land: a region of a buffer to read into, then handed back. */
  interface Sink {
    ByteBuffer target(int at, int n);

    void commit(ByteBuffer filled, int at, int n);
  }

  /** What is done with a payload that arrived in the reusable chunk buffer (positioned at 0). */
  interface Landing {
    void land(ByteBuffer payload, int at, int n);
  }

  /** Called after each frame with the number of elements it carried. */
  interface Progress {
    void advance(int peerRank, int n);
  }

  /** Larger frames are rejected rather than buffered. */
  static final int MAX_FRAME_BYTES = 64 << 20;

  private final SocketChannel channel;
  private final Peer peer;
  private final int myRank;
  private final ByteBuffer header = ByteBuffer.allocateDirect(FrameHeader.BYTES).order(ByteOrder.LITTLE_ENDIAN);
  private ByteBuffer chunk;

  BulkReceiver(SocketChannel channel, Peer peer, int myRank, int chunkBytes) {
    this.channel = channel;
    this.peer = peer;
    this.myRank = myRank;
    this.chunk = ByteBuffer.allocateDirect(chunkBytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  /**
   * Receives {@code expected.elementCount()} elements starting at {@code expected.elementOffset()}
   * in as many frames as the peer sends, each checked against {@code expected}.
   */
  void receive(FrameHeader expected, Sink sink, Progress progress) throws IOException {
    long next = expected.elementOffset();
    int got = 0;
    while (got < expected.elementCount()) {
      header.clear();
      readFully(header);
      header.flip();
      FrameHeader h = FrameHeader.readFrom(header, peer.toString());
      check(h, expected, next, expected.elementCount() - got);
      ByteBuffer dst = sink.target(got, h.elementCount());
      readFully(dst);
      sink.commit(dst, got, h.elementCount());
      got += h.elementCount();
      next += h.elementCount();
      progress.advance(peer.rank(), h.elementCount());
    }
  }

  /**
   * A sink into {@code dst} from index {@code base} on: a vector's payloads are read straight into
   * it, an array's chunk by chunk through the reusable buffer.
   */
  Sink into(Elements dst, int base) {
    Sink copying = via(dst.dtype(), (payload, at, n) -> dst.get(payload, base + at, n));
    int size = dst.dtype().bytes();
    return new Sink() {
      public ByteBuffer target(int at, int n) {
        ByteBuffer v = dst.view(base + at, n);
        return v != null && v.remaining() == n * size ? v : copying.target(at, n);
      }

      public void commit(ByteBuffer filled, int at, int n) {
        if (filled == chunk) {
          copying.commit(filled, at, n);
        }
      }
    };
  }

  /** A sink reading each payload into the reusable chunk buffer, then handing it to {@code landing}. */
  Sink via(DType dtype, Landing landing) {
    return new Sink() {
      public ByteBuffer target(int at, int n) {
        int bytes = n * dtype.bytes();
        if (chunk.capacity() < bytes) {
          chunk = ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
        }
        chunk.clear().limit(bytes);
        return chunk;
      }

      public void commit(ByteBuffer filled, int at, int n) {
        filled.flip();
        landing.land(filled, at, n);
      }
    };
  }

  private void check(FrameHeader h, FrameHeader e, long nextOffset, int remaining) {
    expect("generation", e.generation(), h.generation());
    expect("sequence", e.sequence(), h.sequence());
    if (h.op() != e.op() || h.dtype() != e.dtype()) {
      throw bad("operation " + e.op() + " " + e.dtype(), h.op() + " " + h.dtype());
    }
    expect("source rank", peer.rank(), h.srcRank());
    expect("destination rank", myRank, h.dstRank());
    expect("total elements", e.total(), h.total());
    expect("element offset", nextOffset, h.elementOffset());
    if (h.elementCount() <= 0 || h.elementCount() > remaining) {
      throw bad("element count in 1.." + remaining, String.valueOf(h.elementCount()));
    }
    expect("byte length", (long) h.elementCount() * h.dtype().bytes(), h.byteLength());
    if (h.byteLength() > MAX_FRAME_BYTES) {
      throw bad("byte length <= " + MAX_FRAME_BYTES, String.valueOf(h.byteLength()));
    }
  }

  private void expect(String field, long expected, long got) {
    if (expected != got) {
      throw bad(field + " " + expected, String.valueOf(got));
    }
  }

  private ExchangeException bad(String expected, String got) {
    return new ExchangeException("bad frame from " + peer + " to rank " + myRank + ": expected "
        + expected + ", got " + got);
  }

  private void readFully(ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      if (channel.read(b) < 0) {
        throw new ExchangeException(peer + " closed its bulk connection to rank " + myRank);
      }
    }
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException ignored) {
      // Closing a broken connection: nothing left to release.
    }
  }
}
