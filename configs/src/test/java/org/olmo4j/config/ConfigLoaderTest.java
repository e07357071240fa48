package org.olmo4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

  private static TrainConfig yaml(String text, String... overrides) {
    return ConfigLoader.fromYaml(text, List.of(overrides));
  }

  @Test
  void defaultsNameEveryRecordComponentInOrder() throws IOException {
    JsonNode defaults;
    try (InputStream in = ConfigLoader.class.getResourceAsStream("defaults.yaml")) {
      defaults = ConfigBinding.readTree(new String(in.readAllBytes(), StandardCharsets.UTF_8), "d");
    }
    assertKeysMatchRecord(defaults, TrainConfig.class, "");
  }

  private static void assertKeysMatchRecord(JsonNode node, Class<?> record, String prefix) {
    List<String> keys = new ArrayList<>();
    node.fieldNames().forEachRemaining(keys::add);
    List<String> expected = Arrays.stream(record.getRecordComponents())
        .map(ConfigSchema::yamlKey).toList();
    assertEquals(expected, keys, "keys of " + (prefix.isEmpty() ? "the top level" : prefix));
    for (RecordComponent rc : record.getRecordComponents()) {
      // A section whose default is null is off (data.instance_filter, model.sliding_window); its keys come with its value.
      boolean off = node.get(ConfigSchema.yamlKey(rc)).isNull();
      if (rc.getType().isRecord() && rc.getType() != Duration.class && !off) {
        assertKeysMatchRecord(node.get(ConfigSchema.yamlKey(rc)), rc.getType(),
            prefix + ConfigSchema.yamlKey(rc) + ".");
      }
    }
  }

  @Test
  void emptyYamlGivesOlmoDefaults() {
    TrainConfig c = yaml("");
    assertEquals(6198, c.seed());
    assertEquals(Precision.AMP_BF16, c.precision());
    assertEquals(1.0, c.maxGradNorm());
    assertEquals(1.0e-4, c.auxiliaryLossMultiplier());
    assertEquals("runs/olmo", c.saveFolder());
    assertEquals(1000, c.saveInterval());
    assertNull(c.loadPath());
    assertEquals(InitFn.NORMAL, c.model().initFn());
    assertEquals(0.02, c.model().initStd());
    assertEquals(4, c.model().mlpRatio());
    assertEquals(OptimizerName.ADAMW, c.optimizer().name());
    assertEquals(List.of(0.9, 0.95), c.optimizer().betas());
    assertEquals(1.0e-5, c.optimizer().eps());
    assertEquals(SchedulerName.COSINE_WITH_WARMUP, c.scheduler().name());
    assertEquals(100, c.scheduler().tWarmup());
    assertEquals(MemmapDtype.UINT16, c.data().memmapDtype());
    assertEquals(List.of(), c.data().paths());
    assertNull(c.data().labelMaskPaths());
  }

  @Test
  void loadsAFileAndAppliesOverrides(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("run.yaml");
    Files.writeString(file, "run_name: r1\nmodel:\n  d_model: 512\n  n_heads: 8\n");
    TrainConfig c = ConfigLoader.load(file, List.of("--optimizer.learning_rate=3e-4",
        "model.n_layers=2", "--optimizer.betas=[0.9,0.99]", "--load_path=null"));
    assertEquals("r1", c.runName());
    assertEquals(512, c.model().dModel());
    assertEquals(8, c.model().nHeads());
    assertEquals(2, c.model().nLayers());
    assertEquals(3e-4, c.optimizer().learningRate());
    assertEquals(List.of(0.9, 0.99), c.optimizer().betas());
    assertNull(c.loadPath());
  }

  @Test
  void overridesSetNullListsMappingsAndEmptyStrings() {
    assertNull(yaml("load_path: ckpt/step100", "--load_path=null").loadPath());
    assertNull(yaml("", "--max_grad_norm=null").maxGradNorm());
    assertEquals(List.of("a.npy", "b.npy"), yaml("", "--data.paths=[a.npy, b.npy]").data().paths());
    TrainConfig c = yaml("", "--model={d_model: 512, n_heads: 8}");
    assertEquals(512, c.model().dModel());
    assertEquals(8, c.model().nHeads());
    assertEquals(12, c.model().nLayers(), "a mapping override merges, it does not replace");
    assertEquals("", yaml("", "--load_path=").loadPath());
    assertEquals(Duration.parse("3ep"), yaml("", "--max_duration=3ep").maxDuration());
  }

  @Test
  void laterOverridesWin() {
    assertEquals(7, yaml("seed: 1", "--seed=5", "--seed=7").seed());
  }

  @Test
  void interpolatesOtherKeysAfterOverrides() {
    TrainConfig c = yaml("run_name: base\n", "--run_name=exp2");
    assertEquals("runs/exp2", c.saveFolder());
    c = yaml("save_folder: /ckpt/${run_name}-d${model.d_model}-L${model.n_layers}\n");
    assertEquals("/ckpt/olmo-d768-L12", c.saveFolder());
  }

  @Test
  void wholeStringReferenceKeepsTheType() {
    TrainConfig c = yaml("model:\n  d_model: 512\n  n_heads: 8\n  mlp_hidden_size: ${model.d_model}\n");
    assertEquals(512, c.model().mlpHiddenSize());
  }

  @Test
  void referencesResolveThroughOtherReferences() {
    TrainConfig c = yaml("run_name: r\nsave_folder: out/${run_name}\nload_path: ${save_folder}/step10\n");
    assertEquals("out/r/step10", c.loadPath());
  }

  @Test
  void toYamlIsCompleteAndInRecordOrder() {
    String text = ConfigLoader.toYaml(yaml(""));
    List<String> topKeys = text.lines().filter(l -> !l.startsWith(" ") && !l.startsWith("-"))
        .map(l -> l.substring(0, l.indexOf(':'))).toList();
    assertEquals(Arrays.stream(TrainConfig.class.getRecordComponents())
        .map(ConfigSchema::yamlKey).toList(), topKeys);
    assertTrue(text.contains("\n  mlp_hidden_size: null\n"), text);
    assertTrue(text.contains("\nmax_duration: 10000\n"), "steps are a YAML number: " + text);
  }

  @Test
  void toYamlRoundTripsExactly() {
    TrainConfig c = yaml("""
        run_name: 'null'
        save_folder: "runs/#1: true"
        load_path: '123'
        max_duration: 2e12T
        model: {d_model: 64, n_heads: 2, mlp_hidden_size: 96, init_cutoff_factor: 3.0, clip_qkv: 8.5}
        optimizer: {learning_rate: 1.0e-7, betas: [0.0, 0.999999]}
        scheduler: {t_max: 77, warmup_min_lr: 0.0, grad_clip_warmup_steps: 3}
        data: {paths: ['a b.npy', 'yes'], label_mask_paths: [m.npy, n.npy], seed: 42}
        """);
    assertEquals("null", c.runName());
    assertEquals("yes", c.data().paths().get(1));
    assertEquals(c, ConfigLoader.fromYaml(ConfigLoader.toYaml(c), List.of()));
    assertEquals(ConfigLoader.toYaml(c), ConfigLoader.toYaml(ConfigLoader.fromYaml(ConfigLoader.toYaml(c), List.of())));
  }

  @Test
  void hashIsStableAndSeesEveryChange() {
    TrainConfig a = yaml("");
    assertEquals(64, ConfigLoader.hash(a).length());
    assertTrue(ConfigLoader.hash(a).matches("[0-9a-f]{64}"));
    assertEquals(ConfigLoader.hash(a), ConfigLoader.hash(yaml("seed: 6198")));
    assertNotEquals(ConfigLoader.hash(a), ConfigLoader.hash(yaml("seed: 6199")));
    assertNotEquals(ConfigLoader.hash(a), ConfigLoader.hash(yaml("data: {label_mask_paths: []}")));
  }

  @Test
  void diffListsChangedKeysWithBothValues() {
    TrainConfig a = yaml("model: {d_model: 256, n_heads: 4}");
    TrainConfig b = yaml("model: {d_model: 512, n_heads: 4}\noptimizer: {betas: [0.9, 0.99]}\n"
        + "load_path: x\nmax_duration: 3ep");
    assertEquals(List.of(
        "max_duration: 10000 ≠ 3ep",
        "load_path: null ≠ x",
        "model.d_model: 256 ≠ 512",
        "optimizer.betas: [0.9, 0.95] ≠ [0.9, 0.99]"), ConfigLoader.diff(a, b));
    assertEquals(List.of(), ConfigLoader.diff(a, yaml("model: {d_model: 256, n_heads: 4}")));
  }

  @Test
  void validateForTrainingNeedsDataButValidateDoesNot() {
    TrainConfig noData = yaml("");
    ConfigLoader.validate(noData);
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.validateForTraining(noData));
    assertTrue(e.getMessage().contains("data.paths"), e.getMessage());
    ConfigLoader.validateForTraining(yaml("data: {paths: [a.npy, b.npy], label_mask_paths: [ma.npy, mb.npy]}"));
  }

  @Test
  void validateForTrainingWantsOneLabelMaskPerDataFile() {
    TrainConfig c = yaml("data: {paths: [a.npy, b.npy], label_mask_paths: [ma.npy]}");
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.validateForTraining(c));
    assertTrue(e.getMessage().contains("data.label_mask_paths has 1 entries but data.paths has 2"),
        e.getMessage());
  }

  @Test
  void listElementTypesAreChecked() {
    var type = ConfigSchema.typeAt("optimizer.betas[1]");
    assertEquals(Double.class, type);
    assertTrue(ConfigSchema.typeAt("data.paths") instanceof ParameterizedType);
    assertNull(ConfigSchema.typeAt("model.nope"));
  }
}
