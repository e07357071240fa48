package org.olmo4j.eval;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.model.OlmoModel;

/**
 * Every request of a run's evaluators, in a fixed order (config order; instances, or examples and
 * their choices, in file order), a pure function of the config and the data files. Rank r of N
 * scores the requests {@code i ≡ r (mod N)}; the metrics are computed from all log-probs in
 * request order, so they do not depend on N.
 */
public final class EvalPlan {

  private final List<EvalRequest> requests;
  private final List<PlannedEvaluator> evaluators;
  private final long fingerprint;

  EvalPlan(List<EvalRequest> requests, List<PlannedEvaluator> evaluators) {
    this.requests = Collections.unmodifiableList(requests);
    this.evaluators = List.copyOf(evaluators);
    long h = 1125899906842597L;
    for (EvalRequest r : requests) {
      h = 31 * h + r.contextLength();
      for (long t : r.tokens()) {
        h = 31 * h + t;
      }
    }
    this.fingerprint = h;
  }

  /** The plan of {@code cfg.evaluators} (empty when there are none). */
  public static EvalPlan build(TrainConfig cfg, EvalSources sources) {
    return new EvalPlanBuilder(cfg, sources).build();
  }

  public List<EvalRequest> requests() {
    return requests;
  }

  public int size() {
    return requests.size();
  }

  public boolean isEmpty() {
    return requests.isEmpty();
  }

  /** A hash of every request's tokens: workers and the evaluator check they hold the same plan. */
  public long fingerprint() {
    return fingerprint;
  }

  /** The evaluators' labels, in config order. */
  public List<String> labels() {
    return evaluators.stream().map(PlannedEvaluator::label).toList();
  }

  /** Plan indices that rank {@code rank} of {@code worldSize} scores, ascending. */
  public int[] share(int rank, int worldSize) {
    if (rank < 0 || rank >= worldSize) {
      throw new IllegalArgumentException("rank " + rank + " of " + worldSize);
    }
    int n = Math.max(0, (requests.size() - rank + worldSize - 1) / worldSize);
    int[] out = new int[n];
    for (int j = 0; j < n; j++) {
      out[j] = rank + j * worldSize;
    }
    return out;
  }

  /** Input tokens (forward-pass positions, padding excluded) of the given requests. */
  public long inputTokens(int[] indices) {
    long n = 0;
    for (int i : indices) {
      n += requests.get(i).inputLength();
    }
    return n;
  }

  /**
   * Scores the requests of {@code indices} (ascending) on {@code model}, each evaluator's in
   * batches of its device_eval_batch_size; returns their log-probs in the same order. Requests
   * are batched longest first (stable), so a batch holds requests of similar length and little
   * padding; each request's log-prob does not depend on its batch.
   */
  public double[] score(OlmoModel model, int[] indices) {
    return score(model, indices, 0);
  }

  /**
   * As {@link #score(OlmoModel, int[])} for a rank of a world of {@code worldSize} whose forward
   * passes are collectives (FULL_SHARD): each evaluator runs as many forwards as the rank with
   * the most of them, a short rank padding with one-token batches. {@code worldSize} 0: no
   * padding (forwards that are not collectives).
   */
  public double[] score(OlmoModel model, int[] indices, int worldSize) {
    double[] out = new double[indices.length];
    int at = 0;
    for (PlannedEvaluator e : evaluators) {
      // Rank r scores the plan indices i ≡ r (mod N): the most any rank has of this range.
      int most = (int) java.util.stream.IntStream.range(0, worldSize)
          .mapToLong(r -> java.util.stream.IntStream.range(e.first(), e.first() + e.count())
              .filter(i -> i % worldSize == r).count())
          .max().orElse(0);
      int forwards = (most + e.batchSize() - 1) / e.batchSize();
      List<Integer> positions = new ArrayList<>();
      while (at < indices.length && indices[at] < e.first() + e.count()) {
        positions.add(at++);
      }
      positions.sort(java.util.Comparator.comparingInt(
          (Integer p) -> -requests.get(indices[p]).inputLength()));
      List<EvalRequest> mine = positions.stream().map(p -> requests.get(indices[p])).toList();
      double[] lp = new RequestScorer(model, e.batchSize()).score(mine, forwards);
      for (int j = 0; j < lp.length; j++) {
        out[positions.get(j)] = lp[j];
      }
    }
    return out;
  }

  /** Scores every request on one model (offline evaluation, a world of one). */
  public double[] scoreAll(OlmoModel model) {
    return score(model, share(0, 1));
  }

  /** Every metric, OLMo-named, in config order, from the log-prob of every request. */
  public Map<String, Double> metrics(double[] logProbs) {
    if (logProbs.length != requests.size()) {
      throw new IllegalArgumentException(logProbs.length + " log-probs for a plan of "
          + requests.size() + " requests");
    }
    Map<String, Double> out = new LinkedHashMap<>();
    for (PlannedEvaluator e : evaluators) {
      e.metrics(logProbs, out);
    }
    return out;
  }
}
