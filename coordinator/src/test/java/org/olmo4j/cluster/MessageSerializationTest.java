package org.olmo4j.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.olmo4j.coordinator.Coordinator;
import org.olmo4j.evaluator.Evaluator;
import org.olmo4j.loader.DataLoader;
import org.olmo4j.loader.MicroBatch;
import org.olmo4j.node.NodeGuardian;
import org.olmo4j.worker.GpuWorker;
import org.olmo4j.worker.WorkerEvent;

/** Every message that crosses the network round-trips through the configured serializer (CBOR). */
class MessageSerializationTest {

  static final ActorTestKit kit = ActorTestKit.create("serialization", ConfigFactory.parseString(
      "pekko.actor.provider = cluster\n"
          + "pekko.remote.artery.canonical.port = 0\n"
          + "pekko.actor.serialize-messages = off\n").withFallback(ConfigFactory.load()));

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static Object roundTrip(Object msg) {
    Serialization s = SerializationExtension.get(Adapter.toClassic(kit.system()));
    Serializer ser = s.findSerializerFor(msg);
    assertTrue(ser.getClass().getName().contains("Jackson"), msg.getClass() + " uses " + ser);
    byte[] bytes = s.serialize(msg).get();
    Object back = s.deserialize(bytes, ser.identifier(), Serializers.manifestFor(ser, msg)).get();
    assertNotNull(back);
    return back;
  }

  private static void assertRoundTrips(Object msg) {
    assertEquals(msg, roundTrip(msg));
  }

  @Test
  void everyRemoteMessageRoundTrips() {
    ActorRef<GpuWorker.Command> worker = kit.createTestProbe(GpuWorker.Command.class).getRef();
    ActorRef<WorkerEvent> events = kit.createTestProbe(WorkerEvent.class).getRef();
    ActorRef<NodeGuardian.Command> guardian = kit.createTestProbe(NodeGuardian.Command.class).getRef();
    ActorRef<DataLoader.StreamOpened> opened = kit.createTestProbe(DataLoader.StreamOpened.class).getRef();

    assertRoundTrips(new Coordinator.NodeUp(guardian, "pekko://olmo4j@127.0.0.1:25520", "seed: 1\n", "ab12"));
    assertRoundTrips(new NodeGuardian.Refused(List.of("optimizer.learning_rate: 0.01 ≠ 0.5")));
    assertRoundTrips(new NodeGuardian.Shutdown(0, "done"));
    assertRoundTrips(new GpuWorker.Introduce(events));
    assertRoundTrips(new GpuWorker.Assign(3, 1, 2, List.of("127.0.0.1:1", "127.0.0.1:2"), 1,
        List.of(), 10, 80, 20, "/tmp/run/step10", false, events));
    assertRoundTrips(new GpuWorker.Assign(1, 0, 1, List.of("h:1"), 1, List.of(), 0, 0, 5, null,
        true, events));
    // HYBRID_SHARD: 2 replicas of 2, each rank's replica-group server too.
    assertRoundTrips(new GpuWorker.Assign(2, 3, 4, List.of("a:1", "a:3", "b:1", "b:3"), 2,
        List.of("a:5", "a:7", "b:5", "b:7"), 10, 80, 20, "/tmp/run/step10", false, events));
    assertRoundTrips(new GpuWorker.Abort(4));
    assertRoundTrips(new GpuWorker.SaveNow(4));
    ActorRef<Coordinator.Drained> drained = kit.createTestProbe(Coordinator.Drained.class).getRef();
    assertRoundTrips(new Coordinator.Drain("pekko://olmo4j@h:2", drained));
    assertRoundTrips(new Coordinator.Drained("pekko://olmo4j@h:2", "drained at checkpoint step 7"));
    assertRoundTrips(new WorkerEvent.Registered(worker, "pekko://olmo4j@h:1", 2, "h:3", null,
        null));
    assertRoundTrips(new WorkerEvent.Registered(worker, "pekko://olmo4j@h:1", 2, "h:3", "h:5",
        new WorkerEvent.RestartPoint(4, "/tmp/run/step20", false)));
    assertRoundTrips(new WorkerEvent.Registered(worker, "pekko://olmo4j@h:1", 0, "h:3", null,
        new WorkerEvent.RestartPoint(1, null, false)));
    assertRoundTrips(new GpuWorker.Committed(4, "/tmp/run/step30"));
    ActorRef<Coordinator.Command> coordinator = kit.createTestProbe(Coordinator.Command.class).getRef();
    assertRoundTrips(new NodeGuardian.Introduce(coordinator));
    assertRoundTrips(new GpuWorker.Pause(4));
    assertRoundTrips(new GpuWorker.Resume(4));
    assertRoundTrips(new WorkerEvent.Paused(4, 1, 17));
    assertRoundTrips(new WorkerEvent.Progress(4, 1, 31, WorkerEvent.RankPhase.CHECKPOINT, 93, 1));
    ActorRef<org.olmo4j.coordinator.ControlReply> replies =
        kit.createTestProbe(org.olmo4j.coordinator.ControlReply.class).getRef();
    assertRoundTrips(new Coordinator.Control(Coordinator.ControlAction.DRAIN, "pekko://olmo4j@h:2", replies));
    assertRoundTrips(new Coordinator.Control(Coordinator.ControlAction.PAUSE, null, replies));
    assertRoundTrips(new org.olmo4j.coordinator.ControlReply("not paused", null, -1, null));
    assertRoundTrips(new org.olmo4j.coordinator.ControlReply(null, "committed", 20, "/tmp/run/step20"));
    ActorRef<org.olmo4j.coordinator.RunStatus> statuses =
        kit.createTestProbe(org.olmo4j.coordinator.RunStatus.class).getRef();
    assertRoundTrips(new Coordinator.GetStatus(statuses));
    assertRoundTrips(new org.olmo4j.coordinator.RunStatus("training", 7, 100, 4096, 3.5, 1200, 0.4,
        80, 2, List.of(new org.olmo4j.coordinator.RunStatus.Worker(0, "pekko://olmo4j@h:1", 0, "training",
            0.5, 0.38, 0.12), new org.olmo4j.coordinator.RunStatus.Worker(-1, "pekko://olmo4j@h:2", 0,
            "spare", Double.NaN, Double.NaN, Double.NaN)),
        "/tmp/run/step5", 5, "pekko://olmo4j@h:1", 0.5, 0.4, 0.05, 0.05, 0.2, 11.5,
        new org.olmo4j.coordinator.RunStatus.Slowest(0, "pekko://olmo4j@h:1", 3.2, 20),
        new org.olmo4j.coordinator.RunStatus.CheckpointFailure(1, 20,
            "writing /tmp/run/step20.tmp/shard-00000-of-00002.safetensors failed: IOException: "
            + "No space left on device")));
    assertRoundTrips(new WorkerEvent.Ready(1, 0, 1200, 100));
    assertRoundTrips(new WorkerEvent.DataUnreadable(3, 1, 41, "token file /data/part-0.npy became "
        + "unreadable during the run (it has 0 bytes, 60000 when it was opened)"));
    assertRoundTrips(new WorkerEvent.StepDone(1, 0, 7, 3.25, 0.0, 1e-3, 1.5, 0.66, 4096, 1.0,
        0.8, 0.1, 0.1, 123456789L, 3, 0.12));
    assertRoundTrips(new WorkerEvent.ShardSaved(1, 1, 10, "/tmp/x/shard", 0.2, 0.01, null));
    assertRoundTrips(new WorkerEvent.ShardSaved(1, 1, 10, "/tmp/x/shard", 0.2, 0.01, "disk full"));
    assertRoundTrips(new WorkerEvent.Stopped(1, 1, 20, null, false));
    assertRoundTrips(new WorkerEvent.Stopped(1, 1, 7, "boom", true));
    assertRoundTrips(new DataLoader.OpenStream(1, 2, 3, 11, 80, opened));
    Evaluator.RankScored scored = new Evaluator.RankScored(2, 1000, 1, 2, 5, -77L,
        List.of(-3.5, -0.25), 96, 0.5);
    assertRoundTrips(scored);
    assertRoundTrips(new WorkerEvent.EvalDone(2, 1, scored));
    Evaluator.Published published = new Evaluator.Published(2, 1000,
        Map.of("eval/downstream/piqa_acc", 0.75, "eval/heldout/Perplexity", 123.5), 96, 0.5);
    assertRoundTrips(published);
    assertRoundTrips(new Evaluator.Flushed(List.of(published)));
    ActorRef<Evaluator.Flushed> flushed = kit.createTestProbe(Evaluator.Flushed.class).getRef();
    assertRoundTrips(new Evaluator.Flush(flushed));

    MicroBatch mb = new MicroBatch(5, 1, 2, 40, 2, 3, new long[] {1, 2, 3, 4, 5, 6},
        new boolean[] {true, false, true, true, true, false}, new boolean[] {true, false});
    MicroBatch back = (MicroBatch) roundTrip(mb);
    assertArrayEquals(mb.instanceMask(), back.instanceMask());
    assertEquals(mb.step(), back.step());
    assertArrayEquals(mb.tokens(), back.tokens());
    assertArrayEquals(mb.labelMask(), back.labelMask());
    MicroBatch noMask = new MicroBatch(5, 0, 1, 0, 1, 2, new long[] {7, 8}, null, null);
    assertEquals(null, ((MicroBatch) roundTrip(noMask)).labelMask());
    MicroBatch unreadable = (MicroBatch) roundTrip(MicroBatch.unreadable(9, "token file x: gone"));
    assertEquals("token file x: gone", unreadable.unreadable());
    assertEquals(9, unreadable.step());
    assertEquals(null, mb.unreadable());
    assertEquals(null, back.unreadable());
  }
}
