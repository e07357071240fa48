package org.olmo4j.exchange;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Frames crafted by hand on a real loopback connection: good ones land, bad ones are named. */
class BulkReceiverTest {

  static final Peer PEER = new Peer(1, new InetSocketAddress("127.0.0.1", 7001), null);
  /** What rank 0 expects from rank 1: all-gather fp32 #5 of generation 3, elements [10, 14) of 20. */
  static final FrameHeader EXPECTED =
      new FrameHeader(OpKind.ALL_GATHER, DType.FP32, 1, 0, 3, 5, 20, 10, 4, 16);

  private SocketChannel out;
  private BulkReceiver receiver;

  @BeforeEach
  void connect() throws Exception {
    try (ServerSocketChannel listen = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
      out = SocketChannel.open(listen.getLocalAddress());
      receiver = new BulkReceiver(listen.accept(), PEER, 0, 1024);
    }
  }

  @AfterEach
  void close() throws Exception {
    out.close();
    receiver.close();
  }

  @Test
  void aGoodFrameLandsAtItsOffset() throws Exception {
    float[] dst = new float[4];
    new BulkSender(out, PEER, 1024).send(EXPECTED, Elements.of(new float[] {1, 2, 3, 4}), 0, 10, 4);
    receiver.receive(EXPECTED, receiver.into(Elements.of(dst), 0), (peer, n) -> {});
    assertArrayEquals(new float[] {1, 2, 3, 4}, dst);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "generation       | 2 | 5 | 20 | 1 | 10 | 4 | expected generation 3, got 2",
      "sequence         | 3 | 4 | 20 | 1 | 10 | 4 | expected sequence 5, got 4",
      "total size       | 3 | 5 | 21 | 1 | 10 | 4 | expected total elements 20, got 21",
      "dtype            | 3 | 5 | 20 | 2 | 10 | 4 | expected operation all-gather FP32, got all-gather BF16",
      "offset           | 3 | 5 | 20 | 1 | 11 | 4 | expected element offset 10, got 11",
      "count            | 3 | 5 | 20 | 1 | 10 | 5 | expected element count in 1..4, got 5"})
  void aMismatchedFrameIsRejectedNamingTheField(String field, long gen, long seq, long total,
      int dtype, long offset, int count, String message) throws Exception {
    DType t = DType.ofCode(dtype);
    FrameHeader bad = new FrameHeader(OpKind.ALL_GATHER, t, 1, 0, gen, seq, total, offset, count,
        count * t.bytes());
    write(bad, count * t.bytes());
    ExchangeException e = assertThrows(ExchangeException.class,
        () -> receiver.receive(EXPECTED, receiver.into(Elements.of(new float[4]), 0), (p, n) -> {}));
    assertTrue(e.getMessage().contains(message), e.getMessage());
    assertTrue(e.getMessage().contains("rank 1 at 127.0.0.1:7001"), e.getMessage());
  }

  @Test
  void aWrongByteLengthOrMagicIsRejected() throws Exception {
    write(new FrameHeader(OpKind.ALL_GATHER, DType.FP32, 1, 0, 3, 5, 20, 10, 4, 15), 16);
    ExchangeException e = assertThrows(ExchangeException.class,
        () -> receiver.receive(EXPECTED, receiver.into(Elements.of(new float[4]), 0), (p, n) -> {}));
    assertTrue(e.getMessage().contains("expected byte length 16, got 15"), e.getMessage());

    ByteBuffer junk = ByteBuffer.allocate(FrameHeader.BYTES);
    junk.putInt(0xCAFEBABE).rewind();
    out.write(junk);
    e = assertThrows(ExchangeException.class,
        () -> receiver.receive(EXPECTED, receiver.into(Elements.of(new float[4]), 0), (p, n) -> {}));
    assertTrue(e.getMessage().contains("expected magic"), e.getMessage());
  }

  @Test
  void aClosedConnectionNamesThePeer() throws Exception {
    out.close();
    ExchangeException e = assertThrows(ExchangeException.class,
        () -> receiver.receive(EXPECTED, receiver.into(Elements.of(new float[4]), 0), (p, n) -> {}));
    assertTrue(e.getMessage().contains("rank 1 at 127.0.0.1:7001 closed"), e.getMessage());
  }

  private void write(FrameHeader h, int payloadBytes) throws Exception {
    ByteBuffer b = ByteBuffer.allocate(FrameHeader.BYTES + payloadBytes).order(ByteOrder.LITTLE_ENDIAN);
    h.writeTo(b);
    b.position(b.limit()).flip();
    while (b.hasRemaining()) {
      out.write(b);
    }
  }
}
