package org.olmo4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class KeySuggestionsTest {

  private static final List<String> KEYS = List.of("run_name", "seed", "model", "model.d_model",
      "model.n_heads", "optimizer", "optimizer.learning_rate", "save_folder", "save_interval");

  @Test
  void suggestsTheNearestKey() {
    assertEquals(Optional.of("model.d_model"), KeySuggestions.closest("model.d_modl", KEYS));
    assertEquals(Optional.of("model.n_heads"), KeySuggestions.closest("model.nheads", KEYS));
    assertEquals(Optional.of("model.d_model"), KeySuggestions.closest("d_model", KEYS));
    assertEquals(Optional.of("save_interval"), KeySuggestions.closest("save_intervall", KEYS));
    assertEquals(Optional.empty(), KeySuggestions.closest("wandb", KEYS));
  }

  @Test
  void levenshtein() {
    assertEquals(0, KeySuggestions.distance("abc", "abc"));
    assertEquals(1, KeySuggestions.distance("d_modl", "d_model"));
    assertEquals(3, KeySuggestions.distance("kitten", "sitting"));
    assertEquals(5, KeySuggestions.distance("", "model"));
  }
}
