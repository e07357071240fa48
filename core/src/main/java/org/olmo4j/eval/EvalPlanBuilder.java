package org.olmo4j.eval;

import java.nio.file.Path;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.olmo4j.config.DownstreamMetric;
import org.olmo4j.config.EvaluatorConfig;
import org.olmo4j.config.EvaluatorType;
import org.olmo4j.config.MemmapDtype;
import org.olmo4j.config.MissingEvalData;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.data.DataException;
import org.olmo4j.data.TokenDataset;
import org.olmo4j.tokenizer.OlmoTokenizer;

/** Turns the configured evaluators into an {@link EvalPlan}: reads, tokenizes and indexes. */
final class EvalPlanBuilder {

  private final TrainConfig cfg;
  private final EvalSources sources;
  private final int seqLen;
  private final List<EvalRequest> requests = new ArrayList<>();
  private final List<PlannedEvaluator> evaluators = new ArrayList<>();
  private OlmoTokenizer tokenizer;

  EvalPlanBuilder(TrainConfig cfg, EvalSources sources) {
    this.cfg = cfg;
    this.sources = sources;
    this.seqLen = cfg.model().maxSequenceLength();
  }

  EvalPlan build() {
    try {
      for (int i = 0; i < cfg.evaluators().size(); i++) {
        EvaluatorConfig e = cfg.evaluators().get(i);
        if (e.data() == null) {
          throw new DataException(MissingEvalData.problem(e, i));
        }
        int first = requests.size();
        PlannedEvaluator p = e.type() == EvaluatorType.LM ? lm(e, first) : downstream(e, first);
        evaluators.add(p);
      }
    } finally {
      if (tokenizer != null) {
        tokenizer.close();
      }
    }
    return new EvalPlan(requests, evaluators);
  }

  private LmEvaluation lm(EvaluatorConfig e, int first) {
    Map<String, List<String>> sets = new LinkedHashMap<>();
    if (e.data().datasets() != null && !e.data().datasets().isEmpty()) {
      sets.putAll(e.data().datasets());
    } else {
      sets.put(null, e.data().paths());
    }
    MemmapDtype dtype = e.data().memmapDtype() != null ? e.data().memmapDtype() : cfg.data().memmapDtype();
    List<LmEvaluation.Dataset> datasets = new ArrayList<>();
    for (var set : sets.entrySet()) {
      List<Path> files = set.getValue().stream().map(sources::resolve).toList();
      try (TokenDataset ds = TokenDataset.open(files, dtype, seqLen, cfg.model().vocabSize(), null)) {
        long n = Math.min(ds.numInstances(), e.limit(cfg));
        int start = requests.size();
        for (long i = 0; i < n; i++) {
          long[] tokens = new long[seqLen];
          ds.readInstance(i, tokens);
          requests.add(new EvalRequest(tokens, 1));
        }
        datasets.add(new LmEvaluation.Dataset(set.getKey(), start, (int) n, n * (seqLen - 1)));
      }
    }
    return new LmEvaluation(e.label(), first, requests.size() - first, e.batchSize(cfg), datasets);
  }

  private DownstreamEvaluation downstream(EvaluatorConfig e, int first) {
    DownstreamMetric metric = e.metricOrDefault();
    List<DownstreamEvaluation.Example> examples = new ArrayList<>();
    for (String p : e.data().paths() != null ? e.data().paths() : allDatasetPaths(e)) {
      Path file = sources.resolve(p);
      for (TaskExample x : TaskFile.read(file)) {
        if (examples.size() >= e.limit(cfg)) {
          break;
        }
        String where = "task file " + file + ":" + x.line();
        if (metric == DownstreamMetric.PMI_DC && x.unconditionalContext() == null) {
          throw new DataException(where + ": missing field 'unconditional_context', which "
              + e.label() + "'s metric pmi_dc needs");
        }
        examples.add(example(x, metric, where));
      }
    }
    return new DownstreamEvaluation(e.label(), first, requests.size() - first, e.batchSize(cfg),
        metric, examples);
  }

  private static List<String> allDatasetPaths(EvaluatorConfig e) {
    return e.data().datasets().values().stream().flatMap(List::stream).toList();
  }

  private DownstreamEvaluation.Example example(TaskExample x, DownstreamMetric metric, String where) {
    int k = x.choices();
    int[] cond = new int[k];
    int[] chars = new int[k];
    int[] bytes = new int[k];
    List<String> texts = new ArrayList<>(x.contexts());
    texts.addAll(x.continuations());
    if (metric == DownstreamMetric.PMI_DC) {
      texts.add(x.unconditionalContext());
    }
    int[][] ids = tokenizer().encodeBatch(texts);
    for (int c = 0; c < k; c++) {
      String cont = x.continuations().get(c);
      String bare = cont.startsWith(" ") ? cont.substring(1) : cont;
      chars[c] = bare.length();
      bytes[c] = bare.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
      cond[c] = add(ids[c], ids[k + c], where, c);
    }
    int[] uncond = null;
    if (metric == DownstreamMetric.PMI_DC) {
      uncond = new int[k];
      for (int c = 0; c < k; c++) {
        uncond[c] = add(ids[2 * k], ids[k + c], where, c);
      }
    }
    return new DownstreamEvaluation.Example(x.gold(), cond, uncond, chars, bytes);
  }

  /**
   * Adds the request (context, continuation); an empty context becomes EOS (a document start),
   * a too long one loses its first tokens, as OLMo truncates on the left.
   */
  private int add(int[] context, int[] continuation, String where, int choice) {
    if (continuation.length == 0) {
      throw new DataException(where + ": continuation " + choice + " has no tokens");
    }
    if (continuation.length > seqLen) {
      throw new DataException(where + ": continuation " + choice + " has " + continuation.length
          + " tokens, more than model.max_sequence_length = " + seqLen);
    }
    int[] ctx = context.length > 0 ? context : new int[] {cfg.model().eosTokenId()};
    int keep = Math.min(ctx.length, seqLen + 1 - continuation.length);
    long[] tokens = new long[keep + continuation.length];
    for (int i = 0; i < keep; i++) {
      tokens[i] = ctx[ctx.length - keep + i];
    }
    for (int i = 0; i < continuation.length; i++) {
      tokens[keep + i] = continuation[i];
    }
    for (long t : tokens) {
      if (t >= cfg.model().vocabSize()) {
        throw new DataException(where + ": token id " + t + " of the OLMo tokenizer is not below "
            + "model.vocab_size = " + cfg.model().vocabSize());
      }
    }
    requests.add(new EvalRequest(tokens, keep));
    return requests.size() - 1;
  }

  private OlmoTokenizer tokenizer() {
    if (tokenizer == null) {
      Path json = sources.tokenizer();
      if (!Files.isRegularFile(json)) {
        throw new DataException("tokenizer " + json + " does not exist");
      }
      tokenizer = OlmoTokenizer.load(json);
    }
    return tokenizer;
  }
}
