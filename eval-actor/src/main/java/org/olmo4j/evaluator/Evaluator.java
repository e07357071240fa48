package org.olmo4j.evaluator;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.olmo4j.cluster.ClusterMessage;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.eval.EvalPlan;
import org.olmo4j.eval.EvalReport;
import org.olmo4j.eval.EvalSources;

/**
 * The run's in-loop evaluation: at every {@code eval_interval} step each of the N workers scores
 * the plan's requests {@code i ≡ rank (mod N)} on its full parameter copy and reports their
 * log-probs here; once every rank of the round has reported, the metrics are computed from all
 * log-probs in plan order (so they do not depend on N), logged as a table and published.
 */
public final class Evaluator extends AbstractBehavior<Evaluator.Command> {

  public sealed interface Command extends ClusterMessage {}

  /**
   * Rank {@code rank} of {@code worldSize} scored its share of the plan at {@code step}:
   * {@code logProbs[j]} is request {@code rank + j·worldSize}'s summed continuation log-prob.
   */
  public record RankScored(long generation, long step, int rank, int worldSize, int planSize,
      long planFingerprint, List<Double> logProbs, long tokens, double seconds) implements Command {}

  /** Replies with every round published so far (the run is ending: nothing may be lost). */
  public record Flush(ActorRef<Flushed> replyTo) implements Command {}

  /** Reply to {@link Flush}, oldest round first. */
  public record Flushed(List<Published> rounds) implements ClusterMessage {}

  /** The metrics of one round (OLMo names), with the eval's tokens and throughput. */
  public record Published(long generation, long step, Map<String, Double> metrics, long tokens,
      double seconds) implements ClusterMessage {

    public double tokensPerSecond() {
      return tokens / Math.max(1e-9, seconds);
    }
  }

  private record PlanBuilt(EvalPlan plan, Throwable failure) implements Command {}

  /** Rounds kept for {@link Flush}; one per eval_interval, so a few suffice. */
  private static final int HISTORY = 64;

  private final ActorRef<Published> publishTo;
  private final StashBuffer<Command> stash;
  private record RoundKey(long generation, long step) {}

  private final Map<RoundKey, EvalRound> rounds = new HashMap<>();
  private final List<Published> history = new ArrayList<>();
  private EvalPlan plan;
  private String planError;

  private Evaluator(ActorContext<Command> ctx, StashBuffer<Command> stash, TrainConfig cfg,
      EvalSources sources, ActorRef<Published> publishTo) {
    super(ctx);
    this.stash = stash;
    this.publishTo = publishTo;
    // The plan reads and tokenizes files: off the actor's thread.
    ctx.pipeToSelf(CompletableFuture.supplyAsync(() -> EvalPlan.build(cfg, sources),
            ctx.getSystem().dispatchers().lookup(DispatcherSelector.blocking())),
        PlanBuilt::new);
  }

  /** @param publishTo where each round's metrics go (the coordinator, which writes metrics.jsonl) */
  public static Behavior<Command> create(TrainConfig cfg, EvalSources sources,
      ActorRef<Published> publishTo) {
    return Behaviors.withStash(1000, stash -> Behaviors.setup(
        ctx -> new Evaluator(ctx, stash, cfg, sources, publishTo)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(PlanBuilt.class, this::onPlanBuilt)
        .onMessage(RankScored.class, this::onRankScored)
        .onMessage(Flush.class, this::onFlush)
        .build();
  }

  private Behavior<Command> onPlanBuilt(PlanBuilt m) {
    if (m.failure() != null) {
      Throwable t = m.failure().getCause() != null ? m.failure().getCause() : m.failure();
      planError = t.getMessage() == null ? t.toString() : t.getMessage();
      getContext().getLog().error("evaluation disabled: {}", planError);
    } else {
      plan = m.plan();
      getContext().getLog().info("eval plan: {} requests for evaluators {}", plan.size(), plan.labels());
    }
    return stash.unstashAll(this);
  }

  private Behavior<Command> onRankScored(RankScored s) {
    if (plan == null && planError == null) {
      stash.stash(s);
      return this;
    }
    if (plan == null) {
      return this;
    }
    RoundKey key = new RoundKey(s.generation(), s.step());
    EvalRound round = rounds.computeIfAbsent(key, k -> new EvalRound(s.worldSize(), plan.size()));
    try {
      round.add(s, plan);
    } catch (IllegalArgumentException e) {
      getContext().getLog().error("eval round of step {} dropped: {}", s.step(), e.getMessage());
      rounds.remove(key);
      return this;
    }
    if (round.complete()) {
      rounds.remove(key);
      // Rounds of older generations at or before this step can no longer complete.
      rounds.keySet().removeIf(k -> k.generation() < s.generation() && k.step() <= s.step());
      publish(s, round);
    }
    return this;
  }

  private void publish(RankScored s, EvalRound round) {
    Map<String, Double> metrics = new LinkedHashMap<>(plan.metrics(round.logProbs()));
    Published p = new Published(s.generation(), s.step(), metrics, round.tokens(), round.seconds());
    getContext().getLog().info("{} tokens scored in {} s ({} tokens/s) on {} worker(s); {}",
        p.tokens(), String.format("%.2f", p.seconds()), String.format("%.0f", p.tokensPerSecond()),
        s.worldSize(), EvalReport.table(s.step(), metrics).stripTrailing());
    history.add(p);
    if (history.size() > HISTORY) {
      history.remove(0);
    }
    publishTo.tell(p);
  }

  private Behavior<Command> onFlush(Flush f) {
    if (plan == null && planError == null) {
      stash.stash(f);
      return this;
    }
    f.replyTo().tell(new Flushed(List.copyOf(history)));
    return this;
  }
}
