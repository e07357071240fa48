package org.olmo4j.worker;

import java.util.List;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.eval.EvalPlan;
import org.olmo4j.eval.EvalSources;
import org.olmo4j.evaluator.Evaluator;
import org.olmo4j.model.OlmoModel;

/**
 * This rank's part of in-loop evaluation: the run's eval plan (built from the config, the same on
 * every rank) and the requests {@code i ≡ rank (mod N)} it scores at every eval_interval step on
 * its full parameter copy. No round trip: the plan and the share are deterministic.
 */
final class EvalShare {

  private final TrainConfig cfg;
  private final GpuWorker.Assign assign;
  private final EvalPlan plan;
  private final int[] indices;

  /** Builds the plan; bad eval data fails here, before the first step, naming the file. */
  EvalShare(TrainConfig cfg, GpuWorker.Assign assign) {
    this.cfg = cfg;
    this.assign = assign;
    this.plan = cfg.evaluators().isEmpty() ? null : EvalPlan.build(cfg, EvalSources.of(cfg));
    this.indices = plan == null ? new int[0] : plan.share(assign.rank(), assign.worldSize());
  }

  /** Whether step {@code step} (just completed) is an eval step. */
  boolean due(long step) {
    return plan != null && step % cfg.evalInterval() == 0;
  }

  /** Scores this rank's requests on {@code model} as it is after {@code step}. */
  WorkerEvent.EvalDone score(OlmoModel model, long step) {
    long t0 = System.nanoTime();
    // A FULL_SHARD model's forwards are collectives: every rank runs as many.
    double[] lp = model.unitwise() ? plan.score(model, indices, assign.worldSize())
        : plan.score(model, indices);
    double seconds = (System.nanoTime() - t0) / 1e9;
    List<Double> logProbs = java.util.Arrays.stream(lp).boxed().toList();
    return new WorkerEvent.EvalDone(assign.generation(), assign.rank(), new Evaluator.RankScored(
        assign.generation(), step, assign.rank(), assign.worldSize(), plan.size(),
        plan.fingerprint(), logProbs, plan.inputTokens(indices), seconds));
  }
}
