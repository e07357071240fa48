package org.olmo4j.exchange;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;

/**
 * Writing end of the raw bulk connection from this rank to one peer: arrays go out through one
 * reusable direct buffer, one frame per chunk, header and payload in a single gathering write.
 */
final class BulkSender implements AutoCloseable {

  private final SocketChannel channel;
  private final Peer peer;
  private final ByteBuffer header = ByteBuffer.allocateDirect(FrameHeader.BYTES).order(ByteOrder.LITTLE_ENDIAN);
  private final ByteBuffer payload;
  private final ByteBuffer[] frame;
  private final boolean unix;

  BulkSender(SocketChannel channel, Peer peer, int chunkBytes) {
    this.channel = channel;
    this.unix = UnixBulk.isUnix(channel);
    this.peer = peer;
    this.payload = ByteBuffer.allocateDirect(chunkBytes).order(ByteOrder.LITTLE_ENDIAN);
    this.frame = new ByteBuffer[] {header, payload};
  }

  /**
   * Sends elements {@code [from, from + count)} of {@code src} as the flat slice starting at
   * {@code elementOffset}; {@code template} supplies every other header field. A vector goes out
   * from its own memory, an array through the reusable direct buffer.
   */
  void send(FrameHeader template, Elements src, int from, long elementOffset, int count)
      throws IOException {
    int size = src.dtype().bytes();
    int perChunk = payload.capacity() / size;
    for (int done = 0; done < count; ) {
      int n = Math.min(perChunk, count - done);
      ByteBuffer body = src.view(from + done, n);
      if (body == null) {
        payload.clear();
        src.put(from + done, n, payload);
        payload.limit(n * size);
        body = payload;
      } else {
        n = body.remaining() / size;
      }
      header.clear();
      new FrameHeader(template.op(), src.dtype(), template.srcRank(), template.dstRank(),
          template.generation(), template.sequence(), template.total(), elementOffset + done, n,
          n * size).writeTo(header);
      header.flip();
      frame[1] = body;
      while (body.hasRemaining()) {
        channel.write(frame);
      }
      done += n;
    }
  }

  Peer peer() {
    return peer;
  }

  /** Whether this connection is an AF_UNIX one (the peer is on this host), not TCP. */
  boolean unix() {
    return unix;
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
