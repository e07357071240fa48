package org.olmo4j.coordinator;

import java.util.Map;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.BroadcastHub;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.SourceQueueWithComplete;
import org.olmo4j.train.StepMetrics;

/**
 * The run's live feed (step metrics and events) for any number of watchers. Publishing never
 * blocks the coordinator: a watcher that falls behind loses the oldest events, not the run.
 */
public final class RunEvents implements AutoCloseable {

  /** One item of the feed. */
  public sealed interface Event {}

  /** A step's metrics, as written to metrics.jsonl. */
  public record Step(StepMetrics metrics) implements Event {}

  /**
   * Something happened: {@code kind} is checkpoint_committed, worker_lost, world_reformed, eval,
   * paused, resumed, straggler_drain, finishing or finished; {@code values} carries eval metrics.
   */
  public record Notice(String kind, long step, String message, Map<String, Double> values)
      implements Event {}

  private final SourceQueueWithComplete<Event> queue;
  private final Source<Event, NotUsed> feed;

  RunEvents(ActorSystem<?> system) {
    Pair<SourceQueueWithComplete<Event>, Source<Event, NotUsed>> p =
        Source.<Event>queue(1024, OverflowStrategy.dropHead())
            .toMat(BroadcastHub.of(Event.class, 256), Keep.both())
            .run(Materializer.matFromSystem(system));
    this.queue = p.first();
    this.feed = p.second();
    // Without a watcher the hub would back-pressure the queue; drain it so events do not pile up.
    feed.runWith(org.apache.pekko.stream.javadsl.Sink.ignore(), Materializer.matFromSystem(system));
  }

  /** Events from now on, until the run ends. */
  public Source<Event, NotUsed> feed() {
    return feed;
  }

  void step(StepMetrics m) {
    queue.offer(new Step(m));
  }

  void notice(String kind, long step, String message) {
    queue.offer(new Notice(kind, step, message, Map.of()));
  }

  void notice(String kind, long step, String message, Map<String, Double> values) {
    queue.offer(new Notice(kind, step, message, Map.copyOf(values)));
  }

  @Override
  public void close() {
    queue.complete();
  }
}
