package org.olmo4j.coordinator;

import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.olmo4j.evaluator.Evaluator;

/**
 * The coordinator's last state: the run is over, and the cluster shuts down once the running
 * unsharded export has ended and the Evaluator's last rounds are written. Both are waited for off
 * the actor's thread (an export of a large model takes minutes), so status requests are still
 * answered ("finishing"); operator requests are refused and the world's reports ignored.
 */
final class Finishing extends AbstractBehavior<Coordinator.Command> {

  private final Coordinator run;
  private final int exitCode;
  private final String reason;

  Finishing(ActorContext<Coordinator.Command> ctx, Coordinator run, int exitCode, String reason,
      UnshardedExports exports, CompletionStage<List<Evaluator.Published>> lastRounds) {
    super(ctx);
    this.run = run;
    this.exitCode = exitCode;
    this.reason = reason;
    if (exports.running()) {
      ctx.getLog().info("{}; waiting for the unsharded export to end", reason);
    }
    ctx.pipeToSelf(exports.done().thenCombine(lastRounds, (exported, rounds) -> rounds),
        Coordinator.EndWorkDone::new);
  }

  @Override
  public Receive<Coordinator.Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Coordinator.EndWorkDone.class, this::onEndWorkDone)
        .onMessage(Coordinator.GetStatus.class, m -> {
          m.replyTo().tell(run.status("finishing"));
          return this;
        })
        .onMessage(Coordinator.Control.class, m -> {
          m.replyTo().tell(ControlReply.refused("the run is finishing: " + reason));
          return this;
        })
        .onMessage(Coordinator.EvalPublished.class, m -> {
          run.writeEvalRound(m.published());
          return this;
        })
        .onSignal(PostStop.class, sig -> run.onPostStop())
        .build();
  }

  private Behavior<Coordinator.Command> onEndWorkDone(Coordinator.EndWorkDone m) {
    if (m.failure() != null) {
      getContext().getLog().warn("the last eval rounds could not be collected: {}", m.failure().toString());
    } else {
      m.lastRounds().forEach(run::writeEvalRound);
    }
    getContext().getLog().info("{}; shutting the cluster down", reason);
    run.shutDown(exitCode, reason);
    return Behaviors.stopped();
  }
}
