package org.olmo4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `info` and `train` on recipes in the form of AI2's official ones (fixtures of the configs module). */
class RecipeCliTest {

  static final Path RECIPES = Path.of("../configs/src/test/resources/org/olmo4j/config");
  static final String OLMO_1B = RECIPES.resolve("olmo1b-recipe.yaml").toString();
  static final String OLMO2_7B = RECIPES.resolve("olmo2-7b-recipe.yaml").toString();

  @TempDir Path tmp;

  private static long lines(String out, String line) {
    return out.lines().filter(line::equals).count();
  }

  @Test
  void infoCountsTheOlmo1bRecipeAndListsIgnoredKeysOnce() {
    CliTest.Run r = CliTest.run("info", OLMO_1B);
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("\nparameters 1176764416\n"), r.out());
    for (String line : new String[] {"ignored dry_run = false", "ignored wandb.name = recipe-1b",
        "ignored model.flash_attention = false",
        "ignored fsdp.precision = mixed (the precision key decides the compute precision)",
        "ignored evaluators[0].data.num_workers = 0", "ignored data.pin_memory = true"}) {
      assertEquals(1, lines(r.out(), line), line + " in:\n" + r.out());
    }
    assertTrue(r.out().indexOf("ignored dry_run") < r.out().indexOf("parameters "), r.out());
  }

  /** As OLMo's validate_paths=False: info inspects a recipe whose save folders are elsewhere. */
  @Test
  void infoTakesAPathChooseWithoutAnExistingPathTrainDoesNot() throws Exception {
    Path recipe = tmp.resolve("elsewhere.yaml");
    Files.writeString(recipe, "save_folder: ${path.choose:/no/such/scratch,/no/such/results}/x\n");
    CliTest.Run info = CliTest.run("info", recipe.toString());
    assertEquals(0, info.code(), info.err());
    CliTest.Run train = CliTest.run("train", recipe.toString(), "--port=0",
        "--data.paths=[embedded:train]");
    assertTrue(train.code() != 0);
    assertTrue(train.err().contains("save_folder: '${path.choose:/no/such/scratch,/no/such/results}"
        + "': none of [/no/such/scratch, /no/such/results] exists"), train.err());
  }

  @Test
  void trainRunsStepsOnTheOlmo1bRecipeWithDataAndSizeOverrides() throws Exception {
    // The recipe's evaluators read r2:// files; remote paths are another part of issue 10.
    CliTest.Run r = CliTest.run("train", OLMO_1B, "--port=0", "--data.paths=[embedded:train]",
        "--model.n_layers=2", "--model.d_model=128", "--model.max_sequence_length=64",
        "--global_train_batch_size=4", "--device_train_microbatch_size=2", "--max_duration=2",
        "--save_folder=" + tmp, "--evaluators=[]");
    assertEquals(0, r.code(), r.err());
    assertEquals(2, Files.readAllLines(tmp.resolve("metrics.jsonl")).size());
    assertEquals(1, lines(r.out(), "ignored dry_run = false"), r.out());
  }

  @Test
  void trainRunsStepsOnTheOlmo2RecipeWithDataAndSizeOverrides() throws Exception {
    // The recipe's files are dolma2 uint32 memmaps; the embedded corpus is uint16.
    CliTest.Run r = CliTest.run("train", OLMO2_7B, "--port=0", "--data.paths=[embedded:train]",
        "--data.memmap_dtype=uint16", "--model.n_layers=2", "--model.d_model=128",
        "--model.max_sequence_length=64", "--global_train_batch_size=4",
        "--device_train_microbatch_size=2", "--max_duration=2", "--save_folder=" + tmp,
        "--evaluators=[]");
    assertEquals(0, r.code(), r.err());
    assertEquals(2, Files.readAllLines(tmp.resolve("metrics.jsonl")).size());
    assertEquals(1, lines(r.out(), "ignored fused_loss = true"), r.out());
  }

  @Test
  void infoCountsTheOlmo2Recipe() {
    CliTest.Run r = CliTest.run("info", OLMO2_7B);
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("\nparameters 7298617344\n"), r.out());
    assertEquals(1, lines(r.out(), "ignored fused_loss = true"), r.out());
  }
}
