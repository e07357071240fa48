package org.olmo4j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Rewrites GPT-NeoX-20B's tokenizer JSON into OLMo's {@code gpt-neox-olmo-dolma-v1_5} layout: id 0
 * becomes {@code |||IP_ADDRESS|||}, 50277/50278 are the e-mail/phone placeholders and
 * {@code <|endoftext|>} moves to 50279.
 */
public final class NeoxToOlmoLayout {
  /** File name of the converted tokenizer, written next to the NeoX file. */
  public static final String OUTPUT_NAME = "olmo-tokenizer.json";

  static final String EOS = "<|endoftext|>";
  static final String IP = "|||IP_ADDRESS|||";
  static final String EMAIL = "|||EMAIL_ADDRESS|||";
  static final String PHONE = "|||PHONE_NUMBER|||";

  private NeoxToOlmoLayout() {}

  /** Writes the OLMo layout of {@code neoxJson} to {@code out} (tmp + rename) unless present. */
  public static void writeIfAbsent(Path neoxJson, Path out) {
    if (Files.isRegularFile(out)) {
      return;
    }
    ObjectMapper mapper = new ObjectMapper();
    try {
      ObjectNode root = (ObjectNode) mapper.readTree(neoxJson.toFile());
      convert(root, neoxJson);
      Path tmp = out.resolveSibling(out.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
      mapper.writeValue(tmp.toFile(), root);
      Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot convert tokenizer " + neoxJson + " to " + out, e);
    }
  }

  /** Applies the OLMo edits to a parsed NeoX tokenizer JSON in place. */
  static void convert(ObjectNode root, Path source) {
    JsonNode vocabNode = root.path("model").path("vocab");
    if (!(vocabNode instanceof ObjectNode vocab) || !(root.get("added_tokens") instanceof ArrayNode)) {
      throw new IllegalArgumentException(
          "tokenizer " + source + ": expected model.vocab and added_tokens (a BPE tokenizer.json)");
    }
    JsonNode eos = vocab.get(EOS);
    if (eos == null || eos.asInt() != 0 || vocab.has(IP)) {
      throw new IllegalArgumentException(
          "tokenizer " + source + ": expected GPT-NeoX-20B's layout with " + EOS + " at id 0");
    }
    vocab.remove(EOS);
    vocab.put(IP, 0);
    ArrayNode added = (ArrayNode) root.get("added_tokens");
    for (JsonNode token : added) {
      if (token.path("id").asInt() == 0) {
        ((ObjectNode) token).put("content", IP).put("special", false);
      }
    }
    added.add(addedToken(root, 50277, EMAIL, false));
    added.add(addedToken(root, 50278, PHONE, false));
    added.add(addedToken(root, OlmoTokenizer.EOS_TOKEN_ID, EOS, true));
  }

  private static ObjectNode addedToken(ObjectNode root, int id, String content, boolean special) {
    return root.objectNode()
        .put("id", id)
        .put("content", content)
        .put("single_word", false)
        .put("lstrip", false)
        .put("rstrip", false)
        .put("normalized", false)
        .put("special", special);
  }
}
