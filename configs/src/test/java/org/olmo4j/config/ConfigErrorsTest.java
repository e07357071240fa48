package org.olmo4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every user mistake gives one {@link ConfigException} naming the file or override, the key and the problem. */
class ConfigErrorsTest {

  @TempDir Path dir;

  private String loadError(String yaml, String... overrides) throws IOException {
    Path file = dir.resolve("x.yaml");
    Files.writeString(file, yaml);
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(file, List.of(overrides)));
    return e.getMessage();
  }

  private static void assertContains(String message, String... parts) {
    for (String part : parts) {
      assertTrue(message.contains(part), "expected '" + part + "' in: " + message);
    }
  }

  @Test
  void unknownKeyNamesTheFileAndSuggests() throws IOException {
    assertEquals("unknown key 'model.d_modl' in " + dir.resolve("x.yaml")
        + " (did you mean 'model.d_model'?)", loadError("model:\n  d_modl: 256\n"));
  }

  @Test
  void unknownKeyAtTheWrongLevelSuggestsWhereItBelongs() throws IOException {
    assertContains(loadError("learning_rate: 1e-3\n"),
        "unknown key 'learning_rate'", "did you mean 'optimizer.learning_rate'?");
  }

  @Test
  void unknownKeyFarFromAnyKnownOneHasNoSuggestion() throws IOException {
    String m = loadError("frobnicate:\n  project: x\n");
    assertContains(m, "unknown key 'frobnicate'");
    assertTrue(!m.contains("did you mean"), m);
  }

  @Test
  void illTypedValues() throws IOException {
    Path file = dir.resolve("x.yaml");
    assertEquals(file + ": model.n_heads: expected an integer, got 'abc'",
        loadError("model:\n  n_heads: abc\n"));
    assertContains(loadError("model:\n  d_model: 256.5\n"), "model.d_model: expected an integer, got 256.5");
    assertContains(loadError("optimizer:\n  learning_rate: fast\n"),
        "optimizer.learning_rate: expected a number, got 'fast'");
    assertContains(loadError("optimizer:\n  betas: [0.9, abc]\n"),
        "optimizer.betas[1]: expected a number, got 'abc'");
    assertContains(loadError("model:\n  weight_tying: sometimes\n"),
        "model.weight_tying: expected a boolean (true or false), got 'sometimes'");
    assertContains(loadError("data:\n  paths: a.npy\n"), "data.paths: expected a list, got 'a.npy'");
    assertContains(loadError("model:\n  n_layers: null\n"), "model.n_layers: expected an integer, got null");
    assertContains(loadError("seed: 99999999999999999999\n"), "seed: expected an integer");
    assertContains(loadError("model:\n  n_heads: ''\n"), "model.n_heads: expected an integer, got ''");
    assertContains(loadError("model: 5\n"), "model: expected a mapping, got 5");
  }

  @Test
  void badEnumListsTheAllowedValues() throws IOException {
    assertContains(loadError("precision: bf16\n"), "precision: expected one of [amp_bf16, fp32], got 'bf16'");
    assertContains(loadError("scheduler:\n  name: cosine\n"), "scheduler.name: expected one of "
        + "[cosine_with_warmup, linear_with_warmup, inverse_sqrt_with_warmup, constant], got 'cosine'");
    assertContains(loadError("model:\n  init_fn: xavier\n"), "model.init_fn", "[mitchell, normal]");
    assertContains(loadError("data:\n  memmap_dtype: int8\n"), "data.memmap_dtype", "[uint16, uint32]");
  }

  @Test
  void badDuration() throws IOException {
    assertContains(loadError("max_duration: 3x\n"), "x.yaml: max_duration: '3x' is not a duration");
    assertContains(loadError("max_duration: 2.5\n"), "max_duration: '2.5' is not a duration",
        "positive whole number");
    assertContains(loadError("max_duration: [1]\n"), "max_duration: expected a duration");
  }

  @Test
  void missingFileAndDirectory() {
    Path missing = dir.resolve("nope.yaml");
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(missing, List.of()));
    assertEquals("config file not found: " + missing, e.getMessage());
    e = assertThrows(ConfigException.class, () -> ConfigLoader.load(dir, List.of()));
    assertContains(e.getMessage(), "not a regular file", dir.toString());
  }

  @Test
  void notUtf8() throws IOException {
    Path file = dir.resolve("latin1.yaml");
    Files.write(file, new byte[] {'r', 'u', 'n', '_', 'n', 'a', 'm', 'e', ':', ' ', (byte) 0xE9, '\n'});
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, List.of()));
    assertEquals("config file " + file + " is not UTF-8 text", e.getMessage());
  }

  @Test
  void yamlSyntaxErrorHasTheLine() throws IOException {
    assertContains(loadError("run_name: a\nmodel:\n  d_model: 256\n n_heads: 4\n"),
        "x.yaml: YAML syntax error at line 4");
    assertContains(loadError("run_name: a\noptimizer:\n  betas: [0.9\n"), "YAML syntax error at line 4");
    assertContains(loadError("seed: 1\nseed: 2\n"), "duplicate key 'seed'", "line 2");
    assertContains(loadError("- a\n- b\n"), "expected a mapping of config keys at the top level");
  }

  @Test
  void badOverrides() throws IOException {
    assertContains(loadError("", "model.n_heads"), "override 'model.n_heads'", "expected --dotted.key=value");
    assertContains(loadError("", "--=3"), "override '--=3'", "expected --dotted.key=value");
    assertEquals("unknown key 'optimizer.learning_rat' in override '--optimizer.learning_rat=1' "
        + "(did you mean 'optimizer.learning_rate'?)", loadError("", "--optimizer.learning_rat=1"));
    assertContains(loadError("", "--run_name.x=1"), "unknown key 'run_name.x'");
    assertEquals("override '--model.n_heads=abc': model.n_heads: expected an integer, got 'abc'",
        loadError("", "--model.n_heads=abc"));
    assertContains(loadError("", "--optimizer.betas=[0.9"), "override '--optimizer.betas=[0.9'",
        "YAML syntax error");
    assertContains(loadError("", "--model=3"), "override '--model=3'", "model: expected a mapping");
  }

  @Test
  void badReferences() throws IOException {
    assertContains(loadError("save_folder: runs/${run_nme}\n"),
        "x.yaml: save_folder: '${run_nme}' refers to no key");
    assertContains(loadError("run_name: ${save_folder}\n"),
        "reference cycle: run_name -> save_folder -> run_name");
    assertContains(loadError("save_folder: runs/${model}\n"), "save_folder: '${model}' is {d_model");
  }

  @Test
  void validationProblemsNameTheFileAndKeys() throws IOException {
    String m = loadError("model:\n  d_model: 250\n  n_heads: 4\n");
    assertContains(m, "x.yaml: model.d_model (250) must be divisible by model.n_heads (4)");
    m = loadError("", "--model.n_heads=5");
    assertContains(m, "x.yaml with --model.n_heads=5: model.d_model (768) must be divisible");
  }
}
