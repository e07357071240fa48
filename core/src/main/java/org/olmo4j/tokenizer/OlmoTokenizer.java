package org.olmo4j.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * OLMo's {@code gpt-neox-olmo-dolma-v1_5} tokenizer (vocabulary 50,280, EOS 50279), backed by the
 * Hugging Face tokenizers library.
 */
public final class OlmoTokenizer implements AutoCloseable {
  /** OLMo's end-of-sequence id ({@code <|endoftext|>}). */
  public static final int EOS_TOKEN_ID = 50279;

  private static final Map<String, String> OPTIONS =
      Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false");

  private final HuggingFaceTokenizer tokenizer;
  private final int vocabSize;
  private final int eosTokenId;

  private OlmoTokenizer(HuggingFaceTokenizer tokenizer, int vocabSize, int eosTokenId) {
    this.tokenizer = tokenizer;
    this.vocabSize = vocabSize;
    this.eosTokenId = eosTokenId;
  }

  /**
   * Builds the OLMo layout from GPT-NeoX-20B's {@code 20B_tokenizer.json}, writes it next to the
   * NeoX file as {@code olmo-tokenizer.json} if absent, and loads it.
   */
  public static OlmoTokenizer fromNeoxFile(Path neoxJson) {
    Path out = neoxJson.toAbsolutePath().resolveSibling(NeoxToOlmoLayout.OUTPUT_NAME);
    NeoxToOlmoLayout.writeIfAbsent(neoxJson, out);
    return load(out);
  }

  /** Loads a tokenizer JSON already in OLMo's layout. */
  public static OlmoTokenizer load(Path olmoTokenizerJson) {
    try {
      JsonNode root = new ObjectMapper().readTree(olmoTokenizerJson.toFile());
      int vocabSize = vocabSize(root, olmoTokenizerJson);
      int eos = tokenId(root, "<|endoftext|>", olmoTokenizerJson);
      return new OlmoTokenizer(
          HuggingFaceTokenizer.newInstance(olmoTokenizerJson, OPTIONS), vocabSize, eos);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read tokenizer " + olmoTokenizerJson, e);
    }
  }

  // Ids are fetched straight from the native encoding: DJL's Encoding would also copy every
  // token's string and offsets across JNI, which dominates the cost on large corpora.

  /** Token ids of {@code text}, without special tokens added. */
  public int[] encode(String text) {
    return idsOf(TokenizersLibrary.LIB.encode(tokenizer.getHandle(), text, false));
  }

  /** Encodes several documents in one native call (parallel inside the library). */
  public int[][] encodeBatch(List<String> texts) {
    long[] encodings =
        TokenizersLibrary.LIB.batchEncode(tokenizer.getHandle(), texts.toArray(String[]::new), false);
    int[][] out = new int[encodings.length][];
    for (int i = 0; i < encodings.length; i++) {
      out[i] = idsOf(encodings[i]);
    }
    return out;
  }

  private static int[] idsOf(long encoding) {
    try {
      return toInts(TokenizersLibrary.LIB.getTokenIds(encoding));
    } finally {
      TokenizersLibrary.LIB.deleteEncoding(encoding);
    }
  }

  /** Text of {@code ids}; special tokens are kept. */
  public String decode(int[] ids) {
    long[] longs = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      longs[i] = ids[i];
    }
    return tokenizer.decode(longs, false);
  }

  /** Id of the end-of-sequence token appended after every document. */
  public int eosTokenId() {
    return eosTokenId;
  }

  /** Number of ids, added tokens included (50,280 for OLMo). */
  public int vocabSize() {
    return vocabSize;
  }

  @Override
  public void close() {
    tokenizer.close();
  }

  private static int[] toInts(long[] ids) {
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = Math.toIntExact(ids[i]);
    }
    return out;
  }

  static int vocabSize(JsonNode root, Path file) {
    int max = -1;
    for (JsonNode id : (Iterable<JsonNode>) () -> root.path("model").path("vocab").elements()) {
      max = Math.max(max, id.asInt());
    }
    for (JsonNode t : root.path("added_tokens")) {
      max = Math.max(max, t.path("id").asInt());
    }
    if (max < 0) {
      throw new IllegalArgumentException("tokenizer " + file + " has no model.vocab");
    }
    return max + 1;
  }

  static int tokenId(JsonNode root, String content, Path file) {
    for (JsonNode t : root.path("added_tokens")) {
      if (content.equals(t.path("content").asText())) {
        return t.path("id").asInt();
      }
    }
    JsonNode id = root.path("model").path("vocab").get(content);
    if (id == null) {
      throw new IllegalArgumentException("tokenizer " + file + " has no token " + content);
    }
    return id.asInt();
  }
}
