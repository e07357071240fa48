package org.olmo4j.coordinator;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.eval.EvalSources;
import org.olmo4j.evaluator.Evaluator;
import org.olmo4j.worker.WorkerEvent;

/**
 * The coordinator's side of in-loop evaluation: spawns the run's {@link Evaluator} (when
 * evaluators are configured), hands it the ranks' scores, and writes each published round to
 * metrics.jsonl exactly once, including rounds still in flight when the run ends.
 */
final class EvalRounds {

  private static final Duration FLUSH_TIMEOUT = Duration.ofSeconds(60);

  private final ActorContext<?> ctx;
  private final ActorRef<Evaluator.Command> evaluator;
  private final Set<List<Long>> written = new HashSet<>();

  private EvalRounds(ActorContext<?> ctx, ActorRef<Evaluator.Command> evaluator) {
    this.ctx = ctx;
    this.evaluator = evaluator;
  }

  /** Spawns the Evaluator as a child of the coordinator; it publishes to {@code publishTo}. */
  static EvalRounds start(ActorContext<?> ctx, TrainConfig cfg, ActorRef<Evaluator.Published> publishTo) {
    if (cfg.evaluators().isEmpty()) {
      return new EvalRounds(ctx, null);
    }
    return new EvalRounds(ctx, ctx.spawn(
        Evaluator.create(cfg, EvalSources.of(cfg), publishTo), "evaluator"));
  }

  /** A rank's share of an eval round: to the Evaluator. */
  void scored(WorkerEvent.EvalDone d) {
    if (evaluator != null) {
      evaluator.tell(d.scored());
    }
  }

  /** Writes a published round unless it was written already or belongs to another world. */
  void published(Evaluator.Published p, RunProgress progress, World world) {
    if (progress != null && world != null && p.generation() == world.generation()
        && written.add(List.of(p.generation(), p.step()))) {
      progress.evalPublished(p);
    }
  }

  /**
   * The run is ending: asks (within {@link #FLUSH_TIMEOUT}) for the rounds the Evaluator holds,
   * for the coordinator to write those not yet written ({@link #published}) when they arrive.
   * Every rank's scores reached the Evaluator before this (message order).
   */
  CompletionStage<List<Evaluator.Published>> flush() {
    if (evaluator == null) {
      return CompletableFuture.completedFuture(List.of());
    }
    return AskPattern.<Evaluator.Command, Evaluator.Flushed>ask(evaluator, Evaluator.Flush::new,
        FLUSH_TIMEOUT, ctx.getSystem().scheduler()).thenApply(Evaluator.Flushed::rounds);
  }
}
