package org.olmo4j.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The keys of allenai/OLMo's {@code TrainConfig} (and its nested configs) that are not fields of
 * olmo4j's records: each is either ignored (accepted, and listed once at start) or accepted only
 * at the values olmo4j computes with. This is the one table of them; the README's list is
 * {@link #markdown()}. A path {@code evaluators[].data.x} is a key of every evaluator.
 */
final class OlmoKeys {

  /** What olmo4j does with an OLMo key. */
  enum Kind { IGNORED, ONLY }

  /** One OLMo key: {@code accepted} holds YAML values for {@link Kind#ONLY}; {@code section} has keys below it. */
  record Row(String path, Kind kind, List<String> accepted, String note, boolean section) {

    /** Whether {@code value} is one this row accepts (numbers compare by value: 0 is 0.0). */
    boolean accepts(JsonNode value) {
      if (kind == Kind.IGNORED) {
        return true;
      }
      for (String yaml : accepted) {
        JsonNode a = ConfigBinding.readTree(yaml, "OlmoKeys");
        boolean same = a.isNumber() && value.isNumber()
            ? a.doubleValue() == value.doubleValue() : a.equals(value);
        if (same) {
          return true;
        }
      }
      return false;
    }
  }

  private static final Map<String, Row> ROWS = new LinkedHashMap<>();

  static {
    // TrainConfig
    only("epoch", "olmo4j keeps the epoch in its checkpoints", "null");
    ignored("dry_run", "");
    ignored("restore_dataloader", "olmo4j always resumes the data order from the checkpoint");
    only("fast_forward_batches", "olmo4j does not skip batches on resume", "null");
    section("tokenizer", "olmo4j trains on tokenized memmap files",
        "identifier", "truncate_direction");
    ignored("remote_save_folder", "");
    ignored("canceled_check_interval", "");
    ignored("save_interval_ephemeral", "");
    ignored("save_num_unsharded_checkpoints_to_keep", "");
    ignored("save_overwrite", "");
    ignored("force_save_unsharded", "");
    ignored("no_pre_train_checkpoint", "");
    ignored("load_path_sharded_checkpointer", "");
    only("reset_optimizer_state", "olmo4j restores the optimizer with the model", "false");
    ignored("sharded_checkpointer", "olmo4j writes its own sharded checkpoints");
    ignored("new_style_checkpoints", "");
    ignored("device_train_batch_size", "olmo4j computes it: global_train_batch_size / workers");
    ignored("device_train_grad_accum", "olmo4j computes it from the micro-batch size");
    ignored("eval_on_load", "");
    only("max_grad_norm_ratio", "olmo4j clips to max_grad_norm", "null");
    section("wandb", "", "project", "entity", "group", "name", "tags",
        "log_artifacts", "rank_zero_only", "log_interval");
    section("speed_monitor", "", "window_size", "gpu_flops_available");
    ignored("gen1_gc_interval", "");
    section("compile", "", "mode", "fullgraph", "backend", "dynamic");
    ignored("distributed_strategy", "olmo4j always shards (FSDP-style); fsdp.sharding_strategy says how");
    ignored("fsdp.use_orig_params", "");
    ignored("fsdp.wrapping_strategy", "olmo4j's units are the embedding, each block and the head");
    ignored("fsdp.precision", "the precision key decides the compute precision");
    section("ddp", "", "grad_sync_mode", "find_unused_params");
    section("single", "", "device");
    ignored("time_limit", "");
    ignored("extra_steps_after_cancel", "");
    ignored("early_stopping_factor", "");
    ignored("save_data_indices", "");
    ignored("python_profiling", "");
    ignored("torch_profiling", "");
    ignored("stop_at", "");
    ignored("stop_after", "");
    ignored("fused_loss", "");
    ignored("hf_datasets_cache_dir", "");
    ignored("module_outputs_save_steps", "");

    // ModelConfig
    only("model.activation_type", "olmo4j's MLP is SwiGLU", "swiglu");
    only("model.block_type", "olmo4j's block is OLMo's sequential block", "sequential");
    ignored("model.block_group_size", "");
    only("model.alibi", "olmo4j uses rotary embeddings", "false");
    ignored("model.alibi_bias_max", "");
    only("model.rope", "olmo4j always uses rotary embeddings (RoPE)", "true");
    ignored("model.rope_full_precision", "");
    ignored("model.flash_attention", "");
    only("model.attention_dropout", "olmo4j has no dropout", "0");
    only("model.residual_dropout", "olmo4j has no dropout", "0");
    only("model.embedding_dropout", "olmo4j has no dropout", "0");
    only("model.multi_query_attention", "for fewer key/value heads set model.n_kv_heads",
        "null", "false");
    only("model.embedding_layer_norm", "olmo4j has no norm after the embedding", "false");
    only("model.bias_for_layer_norm", "olmo4j's norms have no bias", "null", "false");
    only("model.scale_logits", "olmo4j does not scale the logits", "false");
    ignored("model.init_device", "");
    ignored("model.precision", "OLMo sets it from the top-level precision");
    only("model.scale_emb_init", "olmo4j initialises embeddings as init_fn says", "false");
    only("model.emb_init_std", "olmo4j initialises embeddings as init_fn says", "null");
    // The lead's ModelConfig fields (issue 10). Until they are record fields, only the OLMo-1
    // values pass; OlmoKeysTest fails once they are fields, to have these two rows deleted.

    // OptimizerConfig
    only("optimizer.no_decay_norm_and_bias", "deprecated in OLMo; use decay_norm_and_bias",
        "null");
    only("optimizer.selective_updates", "olmo4j updates every parameter", "false");
    ignored("optimizer.metrics_log_interval", "per-parameter metrics are for W&B");
    ignored("optimizer.record_update_metrics", "");

    // DataConfig (data.instance_filter is a DataConfig field)
    only("data.datasets", "list the training files under data.paths", "null");
    ignored("data.pad_direction", "");
    ignored("data.generate_attention_mask", "");
    only("data.generate_doc_lengths", "olmo4j attends across document boundaries", "false");
    for (String prefix : List.of("data.", "evaluators[].data.")) {
      for (String key : List.of("num_workers", "drop_last", "pin_memory", "prefetch_factor",
          "persistent_workers", "timeout")) {
        ignored(prefix + key, "");
      }
    }
    only("data.custom_dataset", "olmo4j reads memmap token files", "null");

    // An evaluator's DataConfig: the keys that only matter for training data
    for (String key : List.of("label_mask_paths", "seed", "pad_direction",
        "generate_attention_mask", "generate_doc_lengths")) {
      ignored("evaluators[].data." + key, "");
    }
    only("evaluators[].data.custom_dataset", "olmo4j reads memmap and task files", "null");
  }

  private OlmoKeys() {}

  private static void ignored(String path, String note) {
    ROWS.put(path, new Row(path, Kind.IGNORED, List.of(), note, false));
  }

  private static void only(String path, String note, String... accepted) {
    ROWS.put(path, new Row(path, Kind.ONLY, List.of(accepted), note, false));
  }

  /** A mapping of OLMo's (or null): the mapping's keys are rows of their own. */
  private static void section(String path, String note, String... keys) {
    ROWS.put(path, new Row(path, Kind.IGNORED, List.of(), note, true));
    for (String key : keys) {
      ignored(path + "." + key, "");
    }
  }

  /** The row of a key ({@code evaluators[3].data.x} is looked up as {@code evaluators[].data.x}). */
  static Row row(String path) {
    return ROWS.get(path.replaceAll("\\[\\d+]", "[]"));
  }

  /** Whether the key is an OLMo key of this table (a section or a key). */
  static boolean knows(String path) {
    return row(path) != null;
  }

  /** Every path of the table, for "did you mean". */
  static List<String> paths() {
    return Collections.unmodifiableList(new ArrayList<>(ROWS.keySet()));
  }

  /** The rows directly below {@code section} (a table path; "" for the top level). */
  static List<String> keysBelow(String section) {
    String prefix = section.isEmpty() ? "" : section.replaceAll("\\[\\d+]", "[]") + ".";
    return ROWS.keySet().stream()
        .filter(p -> p.startsWith(prefix) && p.indexOf('.', prefix.length()) < 0)
        .collect(Collectors.toList());
  }

  /** The README's list: ignored keys, then the keys accepted at some values only. */
  static String markdown() {
    StringBuilder sb = new StringBuilder("Ignored (accepted, listed once at start):\n\n");
    ROWS.values().stream().filter(r -> r.kind() == Kind.IGNORED && !r.section()
            && !parentIgnored(r.path()))
        .forEach(r -> sb.append("- `").append(r.path()).append('`')
            .append(r.note().isEmpty() ? "" : " — " + r.note()).append('\n'));
    ROWS.values().stream().filter(Row::section)
        .forEach(r -> sb.append("- `").append(r.path()).append("`: ")
            .append(keysBelow(r.path()).stream().map(OlmoKeys::withNote)
                .collect(Collectors.joining(", ")))
            .append(r.note().isEmpty() ? "" : " — " + r.note()).append('\n'));
    sb.append("\nAccepted only at the values olmo4j computes with (another value is an error):\n\n");
    ROWS.values().stream().filter(r -> r.kind() == Kind.ONLY)
        .forEach(r -> sb.append("- `").append(r.path()).append("`: ")
            .append(String.join(" or ", r.accepted())).append(" — ").append(r.note()).append('\n'));
    return sb.toString();
  }

  private static boolean parentIgnored(String path) {
    int dot = path.lastIndexOf('.');
    Row parent = dot < 0 ? null : ROWS.get(path.substring(0, dot));
    return parent != null && parent.section();
  }

  private static String withNote(String path) {
    Row r = ROWS.get(path);
    return "`" + path.substring(path.lastIndexOf('.') + 1) + "`"
        + (r.note().isEmpty() ? "" : " (" + r.note() + ")");
  }
}
