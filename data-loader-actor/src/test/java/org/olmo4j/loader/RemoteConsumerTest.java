package org.olmo4j.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.train.TrainData;

/** A worker on another node finds the loader through the Receptionist and streams its batches. */
class RemoteConsumerTest {

  static Config clusterNode() {
    return ConfigFactory.parseString(String.join("\n",
        "pekko.actor.provider = cluster",
        "pekko.remote.artery.canonical.hostname = 127.0.0.1",
        "pekko.remote.artery.canonical.port = 0",
        "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on",
        "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off",
        "pekko.coordinated-shutdown.terminate-actor-system = on"))
        .withFallback(ActorTestKit.applicationTestConfig());
  }

  @Test
  void workerOnAnotherNodeReceivesItsMicroBatches(@TempDir Path dir) throws Exception {
    TrainConfig cfg = LoaderFiles.config(List.of(LoaderFiles.tokens(dir, "t.npy", 32, 5)),
        List.of(LoaderFiles.mask(dir, "t.mask", 32, 6)), 8, 2);
    ActorTestKit loaderNode = ActorTestKit.create("olmo4j", clusterNode());
    ActorTestKit workerNode = ActorTestKit.create("olmo4j", clusterNode());
    try {
      Cluster first = Cluster.get(loaderNode.system());
      first.manager().tell(Join.create(first.selfMember().address()));
      Cluster second = Cluster.get(workerNode.system());
      second.manager().tell(Join.create(first.selfMember().address()));
      TestProbe<Object> wait = workerNode.createTestProbe();
      wait.awaitAssert(Duration.ofSeconds(15), () -> {
        assertEquals(2, StreamSupport.stream(second.state().getMembers().spliterator(), false)
            .filter(m -> m.status() == MemberStatus.up()).count());
        return null;
      });

      loaderNode.spawn(DataLoader.create(cfg), "data-loader");
      TestProbe<Receptionist.Listing> listings = workerNode.createTestProbe();
      workerNode.system().receptionist().tell(Receptionist.subscribe(DataLoader.KEY, listings.getRef()));
      Set<ActorRef<DataLoader.Command>> loaders = Set.of();
      while (loaders.isEmpty()) {
        loaders = listings.receiveMessage(Duration.ofSeconds(15)).getServiceInstances(DataLoader.KEY);
      }
      ActorRef<DataLoader.Command> loader = loaders.iterator().next();
      assertNotEquals(workerNode.system().address(), loader.path().address(), "the loader is remote");

      TestProbe<DataLoader.StreamOpened> opened = workerNode.createTestProbe();
      int rank = 1;
      int worldSize = 2;
      loader.tell(new DataLoader.OpenStream(rank, worldSize, 7, 10, 80, opened.getRef()));
      DataLoader.StreamOpened stream = opened.receiveMessage(Duration.ofSeconds(10));
      List<MicroBatch> got = stream.microBatches(2).take(4).runWith(Sink.seq(), workerNode.system())
          .toCompletableFuture().get(20, TimeUnit.SECONDS);

      try (TrainData data = TrainData.open(cfg)) {
        for (int i = 0; i < got.size(); i++) {
          MicroBatch m = got.get(i);
          long step = 10 + i / 2;
          long position = 80 + (step - 10) * 8 + rank * 4 + (i % 2) * 2;
          assertEquals(step, m.step());
          assertEquals(i % 2, m.index());
          assertEquals(position, m.globalPosition());
          assertArrayEquals(data.batch(position, 2).tokens(), m.tokens());
          assertArrayEquals(data.batch(position, 2).labelMask(), m.labelMask());
        }
      }
    } finally {
      workerNode.shutdownTestKit();
      loaderNode.shutdownTestKit();
    }
  }
}
