package org.olmo4j.eval;

import ai.djl.ndarray.NDManager;
import java.util.Map;
import org.olmo4j.config.Precision;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.io.Bf16;
import org.olmo4j.model.OlmoModel;

/**
 * Offline evaluation of fp32 master weights (a checkpoint): the model gets the same compute copy
 * a worker trains with (bf16-rounded under amp_bf16), then the whole plan is scored on it.
 */
public final class ModelEval {

  /** The metrics with the work done: input tokens scored and seconds spent scoring. */
  public record Result(Map<String, Double> metrics, long tokens, double seconds) {
    public double tokensPerSecond() {
      return tokens / Math.max(1e-9, seconds);
    }
  }

  private ModelEval() {}

  /** The compute copy of {@code master} under {@code precision} (a new array). */
  public static float[] computeCopy(float[] master, Precision precision) {
    float[] copy = master.clone();
    if (precision == Precision.AMP_BF16) {
      Bf16.roundInPlace(copy, 0, copy.length);
    }
    return copy;
  }

  /** Scores every request of {@code plan} on a model holding {@code master} (layout order). */
  public static Result run(TrainConfig cfg, EvalPlan plan, float[] master) {
    try (NDManager manager = NDManager.newBaseManager();
        OlmoModel model = OlmoModel.create(cfg.model(), manager, cfg.precision())) {
      model.setParams(computeCopy(master, cfg.precision()));
      return run(plan, model);
    }
  }

  /** Scores every request of {@code plan} on {@code model} as it is. */
  public static Result run(EvalPlan plan, OlmoModel model) {
    long t0 = System.nanoTime();
    double[] logProbs = plan.scoreAll(model);
    double seconds = (System.nanoTime() - t0) / 1e9;
    return new Result(plan.metrics(logProbs), plan.inputTokens(plan.share(0, 1)), seconds);
  }
}
