package org.olmo4j.config;

import java.util.ArrayList;
import java.util.List;

/** Cross-field checks of a bound config; each problem names its keys and values. */
final class ConfigValidator {

  private final List<String> problems = new ArrayList<>();

  private ConfigValidator() {}

  /** Problems that make the config unusable for anything (model, optimizer, schedule, run). */
  static List<String> problems(TrainConfig c) {
    ConfigValidator v = new ConfigValidator();
    v.checkRun(c);
    if (c.model() != null) {
      v.checkModel(c.model());
    }
    if (c.optimizer() != null) {
      v.checkOptimizer(c.optimizer());
    }
    if (c.scheduler() != null) {
      v.checkScheduler(c.scheduler());
    }
    v.checkEvaluators(c);
    if (c.data() != null) {
      v.required(c.data().paths(), "data.paths");
      v.required(c.data().memmapDtype(), "data.memmap_dtype");
      if (c.data().instanceFilter() != null) {
        v.checkInstanceFilter(c.data().instanceFilter());
      }
    }
    return v.problems;
  }

  /** Problems that only matter when training: the data to train on. */
  static List<String> trainingProblems(TrainConfig c) {
    ConfigValidator v = new ConfigValidator();
    DataConfig data = c.data();
    if (data == null || data.paths() == null || data.paths().isEmpty()) {
      v.problems.add("data.paths: no training data; list memmap .npy files or embedded:NAME");
      return v.problems;
    }
    v.noBlanks(data.paths(), "data.paths");
    if (data.labelMaskPaths() != null) {
      v.noBlanks(data.labelMaskPaths(), "data.label_mask_paths");
      v.check(data.labelMaskPaths().size() == data.paths().size(),
          "data.label_mask_paths has " + data.labelMaskPaths().size() + " entries but data.paths has "
              + data.paths().size() + "; give one label mask file per data file");
    }
    return v.problems;
  }

  private void checkRun(TrainConfig c) {
    check(c.runName() != null && !c.runName().isBlank(), "run_name must be a non-empty string");
    required(c.maxDuration(), "max_duration");
    if (c.maxDuration() != null) {
      check(c.maxDuration().value() > 0, "max_duration must be positive, got " + c.maxDuration());
    }
    positive(c.globalTrainBatchSize(), "global_train_batch_size");
    positive(c.deviceTrainMicrobatchSize(), "device_train_microbatch_size");
    if (c.deviceTrainMicrobatchSize() > 0) {
      check(c.globalTrainBatchSize() % c.deviceTrainMicrobatchSize() == 0,
          "global_train_batch_size (" + c.globalTrainBatchSize()
              + ") must be divisible by device_train_microbatch_size ("
              + c.deviceTrainMicrobatchSize() + ")");
    }
    if (c.maxGradNorm() != null) {
      check(c.maxGradNorm() > 0, "max_grad_norm must be positive or null (no clipping), got "
          + c.maxGradNorm());
    }
    check(c.auxiliaryLossMultiplier() >= 0,
        "auxiliary_loss_multiplier must be >= 0, got " + c.auxiliaryLossMultiplier());
    required(c.precision(), "precision");
    check(c.saveFolder() != null && !c.saveFolder().isBlank(), "save_folder must be a non-empty path");
    positive(c.saveInterval(), "save_interval");
    check(c.saveNumCheckpointsToKeep() >= -1,
        "save_num_checkpoints_to_keep must be >= 1, or 0 or -1 to keep all (as OLMo), got "
            + c.saveNumCheckpointsToKeep());
    positive(c.consoleLogInterval(), "console_log_interval");
    if (c.saveIntervalUnsharded() != null) {
      positive(c.saveIntervalUnsharded(), "save_interval_unsharded");
    }
    if (required(c.fsdp(), "fsdp")) {
      required(c.fsdp().shardingStrategy(), "fsdp.sharding_strategy");
      Integer replicas = c.fsdp().hybridShardingNumModelReplicas();
      if (replicas != null) {
        check(replicas >= 1, "fsdp.hybrid_sharding_num_model_replicas must be >= 1 (or null: one per"
            + " node), got " + replicas);
        ShardingStrategy s = c.fsdp().shardingStrategy();
        check(s == ShardingStrategy.HYBRID_SHARD || s == null,
            "fsdp.hybrid_sharding_num_model_replicas is set (" + replicas + ") but"
                + " fsdp.sharding_strategy is " + (s == null ? "null" : s.yamlName())
                + "; it applies to HYBRID_SHARD only");
      }
    }
    required(c.model(), "model");
    required(c.optimizer(), "optimizer");
    required(c.scheduler(), "scheduler");
    required(c.data(), "data");
    required(c.cluster(), "cluster");
    if (c.cluster() != null) {
      ClusterConfig k = c.cluster();
      check(k.workersPerNode() == null || k.workersPerNode() >= 0,
          "cluster.workers_per_node must be >= 0 (or null: one per GPU), got " + k.workersPerNode());
      positive(k.minWorkers(), "cluster.min_workers");
      check(k.maxWorkers() >= k.minWorkers(), "cluster.max_workers (" + k.maxWorkers()
          + ") must be >= cluster.min_workers (" + k.minWorkers() + ")");
      Integer replicas = c.fsdp() == null ? null : c.fsdp().hybridShardingNumModelReplicas();
      check(replicas == null || k.maxWorkers() >= replicas, "cluster.max_workers ("
          + k.maxWorkers() + ") must be >= fsdp.hybrid_sharding_num_model_replicas (" + replicas
          + "): a HYBRID_SHARD world takes a multiple of the replicas");
      positive(k.exchangeTimeoutSeconds(), "cluster.exchange_timeout_seconds");
      check(k.port() >= 0 && k.port() <= 65535,
          "cluster.port must be in [0, 65535] (0: any free port), got " + k.port());
      if (required(k.seedNodes(), "cluster.seed_nodes")) {
        for (int i = 0; i < k.seedNodes().size(); i++) {
          checkHostPort(k.seedNodes().get(i), "cluster.seed_nodes[" + i + "]");
        }
      }
      if (required(k.straggler(), "cluster.straggler")) {
        checkStraggler(k.straggler());
      }
      check(k.stuckFactor() == null || k.stuckFactor() > 1, "cluster.stuck_factor must be > 1 "
          + "(times the median step time), or null to leave stuck ranks to the exchange timeout, got "
          + k.stuckFactor());
      check(k.stuckFloorSeconds() > 0 && k.stuckFloorSeconds() < k.exchangeTimeoutSeconds(),
          "cluster.stuck_floor_seconds must be > 0 and below cluster.exchange_timeout_seconds ("
              + k.exchangeTimeoutSeconds() + "), got " + k.stuckFloorSeconds());
      if (required(k.dataPlane(), "cluster.data_plane")) {
        checkDataPlane(k.dataPlane(), k.workersPerNode(), c.fsdp() == null ? null
            : c.fsdp().shardingStrategy());
      }
    }
    required(c.control(), "control");
    if (c.control() != null) {
      ControlConfig k = c.control();
      check(k.port() >= 0 && k.port() <= 65535, "control.port must be 0..65535, got " + k.port());
      check(k.host() != null && !k.host().isBlank(), "control.host must be set");
      positive(k.maxRequestBytes(), "control.max_request_bytes");
      check(k.tlsKeystore() == null || k.tlsPasswordEnv() != null,
          "control.tls_password_env must name the variable holding control.tls_keystore's password");
    }
  }

  private void checkStraggler(StragglerConfig s) {
    check(s.drainRatio() == null || s.drainRatio() > 1,
        "cluster.straggler.drain_ratio must be > 1 (a rank's compute time over the median of the "
            + "others'), or null to never drain, got " + s.drainRatio());
    positive(s.steps(), "cluster.straggler.steps");
  }

  private void checkDataPlane(DataPlaneConfig d, Integer workersPerNode, ShardingStrategy s) {
    int perWorker = DataPlaneConfig.portsPerWorker(s);
    int ports = perWorker * (workersPerNode == null ? 1 : Math.max(1, workersPerNode));
    String each = " (" + perWorker + " per worker" + (s == ShardingStrategy.HYBRID_SHARD
        ? " under HYBRID_SHARD: shard group and replica group)" : ")");
    check(d.port() == 0 || (d.port() > 0 && d.port() + ports - 1 <= 65535),
        "cluster.data_plane.port must be 0 (any free ports) or a first port with room for "
            + ports + " ports" + each + " below 65536, got " + d.port());
    if (d.advertisedPort() != null) {
      check(d.advertisedPort() > 0 && d.advertisedPort() + ports - 1 <= 65535,
          "cluster.data_plane.advertised_port must be a first port with room for " + ports
              + " ports" + each + " below 65536, or null to advertise the bound ports, got "
              + d.advertisedPort());
      check(d.port() != 0, "cluster.data_plane.advertised_port (" + d.advertisedPort()
          + ") maps the bound ports one to one: set cluster.data_plane.port too (it is 0: any free ports)");
    }
    check(d.advertisedHost() == null || !d.advertisedHost().isBlank(),
        "cluster.data_plane.advertised_host must be a host name or address, or null for the node's --host");
  }

  private void checkEvaluators(TrainConfig c) {
    positive(c.evalInterval(), "eval_interval");
    if (c.deviceEvalBatchSize() != null) {
      positive(c.deviceEvalBatchSize(), "device_eval_batch_size");
    }
    if (!required(c.evaluators(), "evaluators")) {
      return;
    }
    java.util.Set<String> labels = new java.util.HashSet<>();
    for (int i = 0; i < c.evaluators().size(); i++) {
      EvaluatorConfig e = c.evaluators().get(i);
      String key = "evaluators[" + i + "]";
      if (!required(e, key)) {
        continue;
      }
      check(e.label() != null && !e.label().isBlank(), key + ".label must be a non-empty string");
      check(e.label() == null || labels.add(e.label()),
          key + ".label '" + e.label() + "' is used by an earlier evaluator; labels must be unique");
      required(e.type(), key + ".type");
      if (e.deviceEvalBatchSize() != null) {
        positive(e.deviceEvalBatchSize(), key + ".device_eval_batch_size");
      }
      check(e.metric() == null || e.type() != EvaluatorType.LM,
          key + ".metric is for downstream evaluators; an lm evaluator reports CrossEntropyLoss "
              + "and Perplexity");
      // A downstream task without data (OLMo's piqa, hellaswag, …) is named at the start of
      // train / eval (MissingEvalData), not here: `info` on an OLMo recipe must not fail on it.
      if (e.data() != null) {
        checkEvalData(e.data(), key + ".data");
      } else if (e.type() != EvaluatorType.DOWNSTREAM) {
        required(e.data(), key + ".data");
      }
    }
  }

  private void checkEvalData(EvalDataConfig d, String key) {
    boolean paths = d.paths() != null && !d.paths().isEmpty();
    boolean datasets = d.datasets() != null && !d.datasets().isEmpty();
    check(paths != datasets, key + " must set exactly one of paths (a list of files) or datasets "
        + "(label: [files]), got " + (paths ? "both" : "neither"));
    if (paths) {
      noBlanks(d.paths(), key + ".paths");
    }
    if (datasets) {
      d.datasets().forEach((label, files) -> {
        check(files != null && !files.isEmpty(), key + ".datasets." + label + " lists no files");
        if (files != null) {
          noBlanks(files, key + ".datasets." + label);
        }
      });
    }
  }

  private void checkInstanceFilter(InstanceFilterConfig f) {
    positive(f.repetitionMinPeriod(), "data.instance_filter.repetition_min_period");
    check(f.repetitionMaxPeriod() >= f.repetitionMinPeriod(),
        "data.instance_filter.repetition_max_period (" + f.repetitionMaxPeriod()
            + ") must be >= data.instance_filter.repetition_min_period (" + f.repetitionMinPeriod() + ")");
    positive(f.repetitionMaxCount(), "data.instance_filter.repetition_max_count");
  }

  private void checkModel(ModelConfig m) {
    positive(m.dModel(), "model.d_model");
    positive(m.nHeads(), "model.n_heads");
    positive(m.nLayers(), "model.n_layers");
    positive(m.mlpRatio(), "model.mlp_ratio");
    positive(m.vocabSize(), "model.vocab_size");
    positive(m.maxSequenceLength(), "model.max_sequence_length");
    if (m.dModel() > 0 && m.nHeads() > 0) {
      boolean divisible = m.dModel() % m.nHeads() == 0;
      check(divisible, "model.d_model (" + m.dModel() + ") must be divisible by model.n_heads ("
          + m.nHeads() + ")");
      check(!divisible || m.headDim() % 2 == 0, "head dimension model.d_model / model.n_heads = "
          + m.headDim() + " must be even for rotary embeddings (RoPE)");
    }
    if (m.mlpHiddenSize() != null) {
      check(m.mlpHiddenSize() > 0 && m.mlpHiddenSize() % 2 == 0, "model.mlp_hidden_size must be "
          + "a positive even number (SwiGLU splits it in half), got " + m.mlpHiddenSize());
    }
    if (m.embeddingSize() != null) {
      check(m.embeddingSize() >= m.vocabSize(), "model.embedding_size (" + m.embeddingSize()
          + ") must be >= model.vocab_size (" + m.vocabSize() + ")");
    }
    tokenId(m.eosTokenId(), "model.eos_token_id", m.vocabSize());
    tokenId(m.padTokenId(), "model.pad_token_id", m.vocabSize());
    check(m.ropeTheta() > 0, "model.rope_theta must be positive, got " + m.ropeTheta());
    required(m.initFn(), "model.init_fn");
    check(m.initStd() > 0, "model.init_std must be positive, got " + m.initStd());
    positiveOrNull(m.initCutoffFactor(), "model.init_cutoff_factor");
    positiveOrNull(m.clipQkv(), "model.clip_qkv");
    required(m.layerNormType(), "model.layer_norm_type");
    check(m.layerNormEps() > 0, "model.layer_norm_eps must be positive, got " + m.layerNormEps());
    check(!m.includeBias(), "model.include_bias=true is not supported: OLMo 1, 2 and 3 have no biases");
    if (m.nKvHeads() != null) {
      check(m.nKvHeads() > 0 && m.nHeads() % m.nKvHeads() == 0, "model.n_kv_heads ("
          + m.nKvHeads() + ") must be a positive divisor of model.n_heads (" + m.nHeads() + ")");
    }
    if (m.slidingWindow() != null) {
      List<Integer> pattern = m.slidingWindow().pattern();
      boolean valid = pattern != null && !pattern.isEmpty()
          && pattern.stream().allMatch(w -> w != null && (w == -1 || w > 0));
      check(valid, "model.sliding_window.pattern must be a non-empty list of window sizes "
          + "(positive, or -1 for full attention), got " + pattern);
    }
  }

  private void checkOptimizer(OptimizerConfig o) {
    required(o.name(), "optimizer.name");
    check(o.learningRate() > 0, "optimizer.learning_rate must be positive, got " + o.learningRate());
    check(o.weightDecay() >= 0, "optimizer.weight_decay must be >= 0, got " + o.weightDecay());
    check(o.eps() > 0, "optimizer.eps must be positive, got " + o.eps());
    List<Double> betas = o.betas();
    if (required(betas, "optimizer.betas")) {
      boolean valid = betas.size() == 2
          && betas.stream().allMatch(b -> b != null && b >= 0 && b < 1);
      check(valid, "optimizer.betas must be exactly 2 values in [0, 1), got " + betas);
    }
  }

  private void checkScheduler(SchedulerConfig s) {
    required(s.name(), "scheduler.name");
    required(s.units(), "scheduler.units");
    check(s.tWarmup() >= 0, "scheduler.t_warmup must be >= 0, got " + s.tWarmup());
    check(s.alphaF() >= 0 && s.alphaF() <= 1, "scheduler.alpha_f must be in [0, 1], got " + s.alphaF());
    if (s.tMax() != null) {
      check(s.tMax() > 0, "scheduler.t_max must be positive or null (the run's length), got "
          + s.tMax());
    }
    if (s.warmupMinLr() != null) {
      check(s.warmupMinLr() >= 0, "scheduler.warmup_min_lr must be >= 0, got " + s.warmupMinLr());
    }
    if (s.gradClipWarmupSteps() != null) {
      check(s.gradClipWarmupSteps() >= 0,
          "scheduler.grad_clip_warmup_steps must be >= 0, got " + s.gradClipWarmupSteps());
    }
    positiveOrNull(s.gradClipWarmupFactor(), "scheduler.grad_clip_warmup_factor");
  }

  private void checkHostPort(String hostPort, String key) {
    int colon = hostPort == null ? -1 : hostPort.lastIndexOf(':');
    boolean ok = colon > 0 && hostPort.substring(colon + 1).matches("[0-9]{1,5}")
        && Integer.parseInt(hostPort.substring(colon + 1)) <= 65535;
    check(ok, key + " must be HOST:PORT with a port in [0, 65535], e.g. node001:25520, got '"
        + hostPort + "'");
  }

  private void tokenId(int id, String key, int vocabSize) {
    check(id >= 0 && id < vocabSize,
        key + " (" + id + ") must be in [0, model.vocab_size) = [0, " + vocabSize + ")");
  }

  private void positive(long value, String key) {
    check(value > 0, key + " must be positive, got " + value);
  }

  private void positiveOrNull(Double value, String key) {
    if (value != null) {
      check(value > 0, key + " must be positive or null, got " + value);
    }
  }

  private void noBlanks(List<String> paths, String key) {
    for (int i = 0; i < paths.size(); i++) {
      check(paths.get(i) != null && !paths.get(i).isBlank(), key + "[" + i + "] is empty");
    }
  }

  private boolean required(Object value, String key) {
    check(value != null, key + " must be set (it is null)");
    return value != null;
  }

  private void check(boolean ok, String problem) {
    if (!ok) {
      problems.add(problem);
    }
  }
}
