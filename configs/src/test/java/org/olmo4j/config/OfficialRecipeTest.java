package org.olmo4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A recipe in the form of AI2's OLMo-1B.yaml loads: OLMo's keys, nesting and interpolations. */
class OfficialRecipeTest {

  static final String OLMO_1B = "olmo1b-recipe.yaml";

  @TempDir Path dir;

  static String resource(String name) {
    try (InputStream in = OfficialRecipeTest.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static LoadedConfig load(String text, Map<String, String> env, String... overrides) {
    return ConfigLoader.build(text, "recipe.yaml", List.of(overrides), env::get, true);
  }

  @Test
  void olmo1bRecipeLoadsWithOlmosValues() throws IOException {
    Files.createDirectories(dir.resolve("checkpoints"));
    LoadedConfig loaded = load(resource(OLMO_1B), Map.of("SCRATCH_DIR", dir.toString()));
    TrainConfig c = loaded.config();
    assertEquals(dir + "/checkpoints/recipe-1b", c.saveFolder());
    assertEquals(new Duration(739_328, Duration.Unit.STEPS), c.maxDuration());
    assertEquals(1000, c.evalInterval()); // ${save_interval}
    assertEquals(8, c.deviceEvalBatchSize()); // ${device_train_microbatch_size}
    assertEquals(8, c.evaluators().get(0).batchSize(c));
    assertEquals(List.of("small-c4-validation", "small-books-validation"),
        List.copyOf(c.evaluators().get(0).data().datasets().keySet()));
    ModelConfig m = c.model();
    assertEquals(List.of(2048, 16, 16, 8), List.of(m.dModel(), m.nHeads(), m.nLayers(), m.mlpRatio()));
    assertEquals(InitFn.MITCHELL, m.initFn());
    assertEquals(2, c.data().paths().size());
    assertEquals(10000, c.saveIntervalUnsharded());
    assertEquals(c, ConfigLoader.fromYaml(ConfigLoader.toYaml(c), List.of()), "round trip");
  }

  @Test
  void ignoredKeysAreListedOnceEachWithTheirValues() {
    List<String> lines = load(resource(OLMO_1B), Map.of()).ignored().stream()
        .map(IgnoredKey::line).toList();
    for (String expected : List.of("ignored dry_run = false", "ignored wandb.name = recipe-1b",
        "ignored wandb.project = recipe-tests", "ignored model.flash_attention = false",
        "ignored model.init_device = meta", "ignored compile = null",
        "ignored optimizer.metrics_log_interval = 10 (per-parameter metrics are for W&B)",
        "ignored tokenizer.identifier = tokenizers/some-tokenizer.json",
        "ignored save_num_unsharded_checkpoints_to_keep = -1",
        "ignored fsdp.precision = mixed (the precision key decides the compute precision)",
        "ignored fsdp.wrapping_strategy = null (olmo4j's units are the embedding, each block and the head)",
        "ignored speed_monitor.window_size = 20",
        "ignored evaluators[0].data.num_workers = 0", "ignored evaluators[1].data.drop_last = true",
        "ignored data.num_workers = 0", "ignored data.prefetch_factor = 16")) {
      assertEquals(1, lines.stream().filter(expected::equals).count(), expected + " in " + lines);
    }
    // Keys at the values olmo4j computes with are honoured, not ignored.
    assertTrue(lines.stream().noneMatch(l -> l.contains("alibi") || l.contains("model.rope ")
        || l.contains("dropout") || l.contains("activation_type")), lines.toString());
    assertEquals(lines.size(), lines.stream().distinct().count(), lines.toString());
  }

  @Test
  void envAndPathChooseResolveAsOlmo() {
    String tmp = System.getProperty("java.io.tmpdir");
    LoadedConfig withJob = load(resource(OLMO_1B), Map.of("SLURM_JOB_ID", "4242", "TMPDIR", tmp));
    assertEquals(tmp + "/4242", withJob.config().saveFolder());
    LoadedConfig url = load("save_folder: ${path.choose:/no/such/dir,s3://bucket/ckpt}/x\n", Map.of());
    assertEquals("s3://bucket/ckpt/x", url.config().saveFolder());
    LoadedConfig typed = load("device_train_microbatch_size: ${oc.env:MICRO,4}\n"
        + "global_train_batch_size: ${oc.env:GLOBAL,'64'}\nload_path: ${oc.env:NONE,null}\n",
        Map.of("MICRO", "8"));
    assertEquals(8, typed.config().deviceTrainMicrobatchSize());
    assertEquals(64, typed.config().globalTrainBatchSize());
    assertEquals(null, typed.config().loadPath());
    assertEquals("a${b}", load("run_name: a\\${b}\n", Map.of()).config().runName());
  }

  @Test
  void resolverErrorsNameTheKey() {
    String none = assertThrows(ConfigException.class, () -> load(
        "save_folder: ${path.choose:/no/such/a,/no/such/b}\n", Map.of())).getMessage();
    assertTrue(none.startsWith("recipe.yaml: save_folder: '${path.choose:/no/such/a,/no/such/b}': "
        + "none of [/no/such/a, /no/such/b] exists"), none);
    LoadedConfig inspecting = ConfigLoader.build("save_folder: ${path.choose:/no/such/a,/no/such/b}"
        + "/${run_name}\n", "recipe.yaml", List.of(), name -> null, false);
    assertEquals("/olmo", inspecting.config().saveFolder()); // OLMo's validate_paths=False: ""
    String unset = assertThrows(ConfigException.class,
        () -> load("run_name: ${oc.env:NO_SUCH_VAR}\n", Map.of())).getMessage();
    assertEquals("recipe.yaml: run_name: environment variable NO_SUCH_VAR is not set and "
        + "'${oc.env:NO_SUCH_VAR}' gives no default", unset);
    String glob = assertThrows(ConfigException.class,
        () -> load("load_path: ${path.last_checkpoint:runs/x}\n", Map.of())).getMessage();
    assertTrue(glob.contains("load_path: '${path.last_checkpoint:runs/x}' uses the resolver "
        + "'path.last_checkpoint'; olmo4j resolves oc.env and path.choose"), glob);
    String open = assertThrows(ConfigException.class,
        () -> load("run_name: ${oc.env:X,${run_name}\n", Map.of())).getMessage();
    assertTrue(open.contains("run_name: '${oc.env:X,${run_name}' has a '${' without its closing"),
        open);
  }

  @Test
  void valuesOlmo4jCannotHonourAreErrorsNamingKeyAndValue() {
    for (String[] c : new String[][] {
        {"--model.alibi=true", "model.alibi: true is not supported; olmo4j accepts false"},
        {"--model.block_type=llama", "model.block_type: 'llama' is not supported; olmo4j accepts sequential"},
        {"--model.rope=false", "model.rope: false is not supported; olmo4j accepts true"},
        {"--model.activation_type=gelu", "model.activation_type: 'gelu' is not supported; olmo4j accepts swiglu"},
        {"--model.multi_query_attention=true", "olmo4j accepts null or false (for fewer key/value"},
        {"--model.attention_dropout=0.1", "model.attention_dropout: 0.1 is not supported; olmo4j accepts 0"},
        {"--model.residual_dropout=0.1", "model.residual_dropout: 0.1 is not supported"},
        {"--model.embedding_dropout=0.1", "model.embedding_dropout: 0.1 is not supported"},
        {"--model.bias_for_layer_norm=true", "model.bias_for_layer_norm: true is not supported"},
        {"--model.scale_logits=true", "model.scale_logits: true is not supported"},
        {"--max_grad_norm_ratio=0.5", "max_grad_norm_ratio: 0.5 is not supported; olmo4j accepts null"}}) {
      String m = assertThrows(ConfigException.class, () -> load("", Map.of(), c[0])).getMessage();
      assertTrue(m.startsWith("override '" + c[0] + "': "), m);
      assertTrue(m.contains(c[1]), m);
    }
    String file = assertThrows(ConfigException.class,
        () -> load("model:\n  alibi: true\n", Map.of())).getMessage();
    assertEquals("recipe.yaml: model.alibi: true is not supported; olmo4j accepts false "
        + "(olmo4j uses rotary embeddings)", file);
  }

  @Test
  void keysOlmoDoesNotHaveAreStillErrorsWithSuggestions() {
    for (String[] c : new String[][] {
        {"dry_rn: true\n", "unknown key 'dry_rn' in recipe.yaml (did you mean 'dry_run'?)"},
        {"wandb:\n  projct: x\n", "unknown key 'wandb.projct' in recipe.yaml (did you mean 'wandb.project'?)"},
        {"model:\n  flash_atention: true\n", "(did you mean 'model.flash_attention'?)"},
        {"evaluators:\n- label: a\n  data: {paths: [x], num_worker: 0}\n",
            "unknown key 'evaluators[0].data.num_worker' in recipe.yaml (did you mean "
                + "'evaluators[].data.num_workers'?)"}}) {
      String m = assertThrows(ConfigException.class, () -> load(c[0], Map.of())).getMessage();
      assertTrue(m.contains(c[1]), m);
    }
    String override = assertThrows(ConfigException.class,
        () -> load("", Map.of(), "--wandb.projekt=x")).getMessage();
    assertTrue(override.contains("did you mean 'wandb.project'"), override);
  }

  @Test
  void overridesReachOlmoSections() {
    LoadedConfig c = load("compile: null\n", Map.of(), "--wandb.group=g", "--compile.mode=default",
        "--dry_run=true");
    assertEquals(List.of("ignored compile.mode = default", "ignored dry_run = true",
        "ignored wandb.group = g"), c.ignored().stream().map(IgnoredKey::line).sorted().toList());
  }

  @Test
  void durationsAndTokenSchedules() {
    assertEquals(new Duration(2_000_000_000_000L, Duration.Unit.TOKENS),
        load("max_duration: 2e12T\n", Map.of()).config().maxDuration());
    assertEquals(new Duration(1, Duration.Unit.EPOCHS),
        load("", Map.of(), "--max_duration=1ep").config().maxDuration());
    assertEquals(new Duration(739_328, Duration.Unit.STEPS),
        load("", Map.of(), "--max_duration=739_328").config().maxDuration());
    SchedulerConfig s = load("scheduler:\n  units: tokens\n  t_warmup: 8388608000\n  t_max: 5e12\n"
        + "  grad_clip_warmup_steps: 1e9\n", Map.of()).config().scheduler();
    assertEquals(SchedulerUnits.TOKENS, s.units());
    assertEquals(8_388_608_000L, s.tWarmup());
    assertEquals(5_000_000_000_000L, s.tMax());
    assertEquals(1_000_000_000L, s.gradClipWarmupSteps());
    String half = assertThrows(ConfigException.class,
        () -> load("", Map.of(), "--scheduler.t_max=1.5")).getMessage();
    assertEquals("override '--scheduler.t_max=1.5': scheduler.t_max: expected a whole number, "
        + "got '1.5'", half);
    assertTrue(assertThrows(ConfigException.class, () -> load("", Map.of(),
        "--scheduler.units=epochs")).getMessage().contains("scheduler.units: expected one of "
        + "[steps, tokens], got 'epochs'"));
  }

  /** The README's list of OLMo keys is this table's, word for word. */
  @Test
  void readmeListsTheTable() throws IOException {
    String readme = Files.readString(Path.of("../README.md"));
    assertTrue(readme.contains(OlmoKeys.markdown()), "README's 'AI2's recipe files' section must "
        + "contain OlmoKeys.markdown():\n" + OlmoKeys.markdown());
  }

  /** A table row that became a record field is dead; delete it from OlmoKeys. */
  @Test
  void noTableRowIsARecordField() {
    for (String path : OlmoKeys.paths()) {
      assertFalse(ConfigSchema.typeAt(path.replace("[]", "[0]")) != null,
          path + " is a record field now; delete its row from OlmoKeys");
    }
  }
}
