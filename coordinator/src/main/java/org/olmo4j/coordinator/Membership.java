package org.olmo4j.coordinator;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.olmo4j.node.NodeGuardian;
import org.olmo4j.worker.GpuWorker;
import org.olmo4j.worker.WorkerEvent;

/**
 * Who is in the run, for the coordinator (its parent): finds node guardians and workers through
 * the receptionist and introduces the coordinator to each once (a coordinator that took over
 * too), watches the workers, and turns cluster membership events into lost nodes. The answers to
 * the introductions go to the coordinator, which keeps the pool. Local to the coordinator's node.
 */
final class Membership extends AbstractBehavior<Membership.Command> {

  sealed interface Command {}

  /** Workers or guardians (one message adapter per class: both listings come as this). */
  private record Listed(Receptionist.Listing listing) implements Command {}

  private record WorkerTerminated(ActorRef<GpuWorker.Command> worker) implements Command {}

  private record MemberChanged(ClusterEvent.MemberEvent event) implements Command {}

  private record ReachabilityChanged(ClusterEvent.ReachabilityEvent event) implements Command {}

  private record Quiet() implements Command {}

  /**
   * How long the coordinator waits for introduced guardians and workers to answer before it
   * forms a world without them. It waits for the answers because a coordinator that takes over
   * learns from the workers where the run stands.
   */
  private static final Duration INTRODUCTIONS = Duration.ofSeconds(10);

  private final ActorRef<Coordinator.Command> coordinator;
  private final ActorRef<WorkerEvent> events;
  private final TimerScheduler<Command> timers;
  private final Set<ActorRef<GpuWorker.Command>> workers = new HashSet<>();
  private final Set<ActorRef<NodeGuardian.Command>> guardians = new HashSet<>();

  private Membership(ActorContext<Command> ctx, TimerScheduler<Command> timers,
      ActorRef<Coordinator.Command> coordinator, ActorRef<WorkerEvent> events) {
    super(ctx);
    this.timers = timers;
    this.coordinator = coordinator;
    this.events = events;
    ActorRef<Receptionist.Listing> listings = ctx.messageAdapter(Receptionist.Listing.class, Listed::new);
    ctx.getSystem().receptionist().tell(Receptionist.subscribe(GpuWorker.KEY, listings));
    ctx.getSystem().receptionist().tell(Receptionist.subscribe(NodeGuardian.KEY, listings));
    Cluster cluster = Cluster.get(ctx.getSystem());
    cluster.subscriptions().tell(Subscribe.create(
        ctx.messageAdapter(ClusterEvent.MemberEvent.class, MemberChanged::new),
        ClusterEvent.MemberEvent.class));
    cluster.subscriptions().tell(Subscribe.create(
        ctx.messageAdapter(ClusterEvent.ReachabilityEvent.class, ReachabilityChanged::new),
        ClusterEvent.ReachabilityEvent.class));
  }

  /** @param events where the workers' answers ({@link WorkerEvent.Registered}) go */
  static Behavior<Command> create(ActorRef<Coordinator.Command> coordinator, ActorRef<WorkerEvent> events) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(t -> new Membership(ctx, t, coordinator, events)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Listed.class, m -> onListed(m.listing()))
        .onMessage(WorkerTerminated.class, this::onWorkerTerminated)
        .onMessage(MemberChanged.class, this::onMemberChanged)
        .onMessage(ReachabilityChanged.class, this::onReachabilityChanged)
        .onMessage(Quiet.class, m -> tell(new Coordinator.IntroductionsTimedOut()))
        .build();
  }

  /** Introduces the coordinator to the workers and guardians not seen yet. */
  private Behavior<Command> onListed(Receptionist.Listing listing) {
    if (listing.isForKey(GpuWorker.KEY)) {
      for (ActorRef<GpuWorker.Command> w : listing.getServiceInstances(GpuWorker.KEY)) {
        if (workers.add(w)) {
          getContext().watchWith(w, new WorkerTerminated(w));
          coordinator.tell(new Coordinator.Introduced(w)); // before the answer can arrive
          w.tell(new GpuWorker.Introduce(events));
        }
      }
    } else {
      for (ActorRef<NodeGuardian.Command> g : listing.getServiceInstances(NodeGuardian.KEY)) {
        if (guardians.add(g)) {
          coordinator.tell(new Coordinator.Introduced(g));
          g.tell(new NodeGuardian.Introduce(coordinator));
        }
      }
    }
    timers.startSingleTimer(new Quiet(), INTRODUCTIONS);
    return this;
  }

  private Behavior<Command> onWorkerTerminated(WorkerTerminated m) {
    workers.remove(m.worker());
    return tell(new Coordinator.WorkerGone(m.worker()));
  }

  private Behavior<Command> onMemberChanged(MemberChanged m) {
    if (m.event() instanceof ClusterEvent.MemberRemoved || m.event() instanceof ClusterEvent.MemberExited) {
      return tell(new Coordinator.NodeLost(m.event().member().address().toString(), "left the cluster"));
    }
    return this;
  }

  private Behavior<Command> onReachabilityChanged(ReachabilityChanged m) {
    String address = m.event().member().address().toString();
    if (m.event() instanceof ClusterEvent.UnreachableMember) {
      return tell(new Coordinator.NodeLost(address, "is unreachable"));
    }
    // Reachable again: its workers may rejoin (at the next checkpoint if a world is running).
    for (ActorRef<GpuWorker.Command> w : workers) {
      if (w.path().address().toString().equals(address)) {
        w.tell(new GpuWorker.Introduce(events));
      }
    }
    return this;
  }

  private Behavior<Command> tell(Coordinator.Command m) {
    coordinator.tell(m);
    return this;
  }
}
