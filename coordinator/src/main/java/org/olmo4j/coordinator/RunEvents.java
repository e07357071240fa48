package org.olmo4j.coordinator;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
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
 * The run's live feed (step metrics and events) for any number of watchers, and the last
 * {@link #HISTORY} notices for the status page's timeline. Publishing never blocks the
 * coordinator: a watcher that falls behind loses the oldest events, not the run.
 */
public final class RunEvents implements AutoCloseable {

  /** How many notices the timeline keeps (steps are not kept: metrics.jsonl has them). */
  public static final int HISTORY = 500;

  /** One item of the feed. */
  public sealed interface Event {}

  /** A step's metrics, as written to metrics.jsonl. */
  public record Step(StepMetrics metrics) implements Event {}

  /**
   * Something happened: {@code kind} is node_joined, world_formed, checkpoint_committed,
   * checkpoint_failed, data_unreadable, worker_lost, world_reformed, recovered, eval, paused,
   * resumed, node_drain, straggler_drain, finishing or finished (and whatever kinds come later:
   * readers show unknown ones as they are);
   * {@code values} carries figures such as eval metrics or recovery_seconds.
   */
  public record Notice(String kind, long step, String message, Map<String, Double> values)
      implements Event {}

  /** A notice as the history keeps it: its number in this coordinator's feed and its time. */
  public record Recorded(long seq, Instant time, Notice notice) {}

  private final SourceQueueWithComplete<Event> queue;
  private final Source<Event, NotUsed> feed;
  /** Written by the coordinator, read by the HTTP pages' threads. */
  private final ArrayDeque<Recorded> history = new ArrayDeque<>();
  private long seq;

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
    notice(kind, step, message, Map.of());
  }

  void notice(String kind, long step, String message, Map<String, Double> values) {
    Notice n = new Notice(kind, step, message, Map.copyOf(values));
    synchronized (history) {
      history.addLast(new Recorded(++seq, Instant.now(), n));
      if (history.size() > HISTORY) {
        history.removeFirst();
      }
    }
    queue.offer(n);
  }

  /** The kept notices numbered above {@code afterSeq}, oldest first. */
  public List<Recorded> history(long afterSeq) {
    synchronized (history) {
      return history.stream().filter(r -> r.seq() > afterSeq).toList();
    }
  }

  @Override
  public void close() {
    queue.complete();
  }
}
