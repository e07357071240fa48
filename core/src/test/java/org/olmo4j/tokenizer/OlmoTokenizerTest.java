package org.olmo4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.data.EmbeddedCorpus;

class OlmoTokenizerTest {
  private static OlmoTokenizer tokenizer;

  @BeforeAll
  static void load() {
    tokenizer = OlmoTokenizer.load(EmbeddedCorpus.atDefaultCache().resolve("embedded:tokenizer"));
  }

  @AfterAll
  static void close() {
    tokenizer.close();
  }

  @Test
  void encodesLikeOlmo() {
    assertArrayEquals(new int[] {12092, 3645, 2}, tokenizer.encode("Hello World!"));
    assertEquals(50279, tokenizer.eosTokenId());
    assertEquals(50280, tokenizer.vocabSize());
  }

  @Test
  void specialAndPlaceholderTokensHaveOlmoIds() {
    assertArrayEquals(new int[] {50278}, tokenizer.encode("|||PHONE_NUMBER|||"));
    assertArrayEquals(new int[] {50277}, tokenizer.encode("|||EMAIL_ADDRESS|||"));
    assertArrayEquals(new int[] {0}, tokenizer.encode("|||IP_ADDRESS|||"));
    int[] ids = tokenizer.encode("end.<|endoftext|>");
    assertEquals(50279, ids[ids.length - 1]);
    assertEquals("<|endoftext|>", tokenizer.decode(new int[] {50279}));
  }

  @Test
  void roundTripsAParagraph() {
    String text = "It was the best of times, it was the worst of times; it was the age of wisdom.\n\n"
        + "  Indented  line with   spaces, tabs\tand digits 1234567 — and ünïcödé.\n";
    int[] ids = tokenizer.encode(text);
    assertTrue(ids.length > 20);
    assertEquals(text, tokenizer.decode(ids));
    int[][] batch = tokenizer.encodeBatch(List.of(text, "Hello World!"));
    assertArrayEquals(ids, batch[0]);
    assertArrayEquals(new int[] {12092, 3645, 2}, batch[1]);
  }

  @Test
  void fromNeoxFileBuildsTheSameLayout(@TempDir Path dir) throws Exception {
    Path neox = dir.resolve("20B_tokenizer.json");
    Path cached = EmbeddedCorpus.atDefaultCache().resolve("embedded:tokenizer")
        .resolveSibling("20B_tokenizer.json");
    Files.copy(cached, neox);
    try (OlmoTokenizer t = OlmoTokenizer.fromNeoxFile(neox)) {
      assertArrayEquals(new int[] {12092, 3645, 2, 50279}, t.encode("Hello World!<|endoftext|>"));
      assertEquals(50280, t.vocabSize());
    }
    assertTrue(Files.isRegularFile(dir.resolve(NeoxToOlmoLayout.OUTPUT_NAME)));
  }

  @Test
  void rejectsAFileThatIsNotNeoxLayout(@TempDir Path dir) throws Exception {
    Path bogus = dir.resolve("bogus.json");
    ObjectNode root = new ObjectMapper().createObjectNode();
    root.putObject("model").putObject("vocab").put("a", 0);
    root.putArray("added_tokens");
    new ObjectMapper().writeValue(bogus.toFile(), root);
    var e = assertThrows(IllegalArgumentException.class, () -> OlmoTokenizer.fromNeoxFile(bogus));
    assertTrue(e.getMessage().contains(bogus.toString()), e.getMessage());
  }
}
