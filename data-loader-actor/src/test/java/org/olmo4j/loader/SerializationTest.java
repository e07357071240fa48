package org.olmo4j.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.apache.pekko.serialization.jackson.JacksonCborSerializer;
import org.apache.pekko.stream.SourceRef;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.StreamRefs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Every message of the loader's protocol survives Pekko's remote serialization (Jackson CBOR). */
class SerializationTest {

  static final ActorTestKit kit = ActorTestKit.create("olmo4j", RemoteConsumerTest.clusterNode());

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  @SuppressWarnings("unchecked")
  static <T> T roundTrip(T message) {
    Serialization serialization = SerializationExtension.get(kit.system().classicSystem());
    Serializer serializer = serialization.findSerializerFor(message);
    assertEquals(JacksonCborSerializer.class, serializer.getClass(), message.getClass() + " is bound to jackson-cbor");
    byte[] bytes = serialization.serialize(message).get();
    String manifest = Serializers.manifestFor(serializer, message);
    return (T) serialization.deserialize(bytes, serializer.identifier(), manifest).get();
  }

  static MicroBatch microBatch(boolean withMask) {
    long[] tokens = {0, 1, 63, 50_279, 100_277, 4_000_000_000L};
    boolean[] mask = withMask ? new boolean[] {true, false, true, true, false, true} : null;
    boolean[] instances = withMask ? new boolean[] {true, false} : null;
    return new MicroBatch(12, 1, 3, 1_000_000_000_000L, 2, 3, tokens, mask, instances);
  }

  static void assertSame(MicroBatch expected, MicroBatch actual) {
    assertEquals(expected.step(), actual.step());
    assertEquals(expected.index(), actual.index());
    assertEquals(expected.count(), actual.count());
    assertEquals(expected.globalPosition(), actual.globalPosition());
    assertEquals(expected.rows(), actual.rows());
    assertEquals(expected.seqLen(), actual.seqLen());
    assertArrayEquals(expected.tokens(), actual.tokens());
    assertArrayEquals(expected.labelMask(), actual.labelMask());
    assertArrayEquals(expected.instanceMask(), actual.instanceMask());
  }

  @Test
  void microBatchWithAndWithoutMask() {
    assertSame(microBatch(true), roundTrip(microBatch(true)));
    MicroBatch plain = roundTrip(microBatch(false));
    assertSame(microBatch(false), plain);
    assertNull(plain.labelMask());
  }

  @Test
  void openStreamWithARealActorRef() {
    TestProbe<DataLoader.StreamOpened> probe = kit.createTestProbe();
    var open = new DataLoader.OpenStream(3, 4, 9, 100, 25_600, probe.getRef());
    assertEquals(open, roundTrip(open));
  }

  @Test
  void stop() {
    assertEquals(new DataLoader.Stop(), roundTrip(new DataLoader.Stop()));
  }

  @Test
  void streamOpenedWithARealSourceRefThatStillStreams() throws Exception {
    SourceRef<MicroBatch> ref = Source.single(microBatch(true)).runWith(StreamRefs.sourceRef(), kit.system());
    DataLoader.StreamOpened back = roundTrip(new DataLoader.StreamOpened(2, 5, ref));
    assertEquals(2, back.rank());
    assertEquals(5, back.generation());
    List<MicroBatch> got = back.source().getSource().runWith(Sink.seq(), kit.system())
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(1, got.size());
    assertSame(microBatch(true), got.get(0));
  }
}
