package org.olmo4j.checkpointer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.apache.pekko.serialization.jackson.JacksonCborSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The Checkpointer's replies, which may travel to the Coordinator, survive Jackson CBOR. */
class SerializationTest {

  static final ActorTestKit kit = ActorTestKit.create();

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

  @Test
  void shardWrittenOkAndFailed() {
    var ok = new Checkpointer.ShardWritten(7, 1000, 3, "/ckpt/step1000.tmp/shard-00003-of-00008.safetensors",
        3_221_225_472L, 2.5, 0.04, null);
    assertEquals(ok, roundTrip(ok));
    var failed = new Checkpointer.ShardWritten(7, 1000, 3, "/ckpt/step1000.tmp/shard-00003-of-00008.safetensors",
        0, 0.01, 0.04, "writing /ckpt/step1000.tmp/shard-00003-of-00008.safetensors failed: No space left on device");
    assertEquals(failed, roundTrip(failed));
  }
}
