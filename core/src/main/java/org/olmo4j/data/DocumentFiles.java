package org.olmo4j.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;

/**
 * Reads documents from input files: {@code .txt} (one document per file), {@code .jsonl},
 * {@code .jsonl.gz} and {@code .json.gz} (one JSON object per line with a string field
 * {@code text}).
 */
public final class DocumentFiles {
  private static final ObjectMapper JSON = new ObjectMapper();

  private DocumentFiles() {}

  /** Whether {@code file}'s name has a supported extension. */
  public static boolean isSupported(Path file) {
    String name = file.getFileName().toString();
    return name.endsWith(".txt") || name.endsWith(".jsonl") || name.endsWith(".jsonl.gz")
        || name.endsWith(".json.gz");
  }

  /** Passes every document of {@code file} to {@code sink}, in file order. */
  public static void read(Path file, Consumer<String> sink) {
    String name = file.getFileName().toString();
    try {
      if (name.endsWith(".txt")) {
        sink.accept(decodeText(Files.readAllBytes(file)));
      } else if (name.endsWith(".jsonl")) {
        readJsonLines(file, Files.newInputStream(file), sink);
      } else if (name.endsWith(".jsonl.gz") || name.endsWith(".json.gz")) {
        readJsonLines(file, new GZIPInputStream(Files.newInputStream(file), 1 << 16), sink);
      } else {
        throw new DataException(
            "input " + file + ": unsupported file type (expected .txt, .jsonl, .jsonl.gz or .json.gz)");
      }
    } catch (NoSuchFileException e) {
      throw new DataException("input " + file + " does not exist", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read input " + file, e);
    }
  }

  /** UTF-8 text, or ISO-8859-1 where the bytes are not valid UTF-8; CRLF becomes LF. */
  public static String decodeText(byte[] bytes) {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      text = new String(bytes, StandardCharsets.ISO_8859_1);
    }
    return text.replace("\r\n", "\n");
  }

  private static void readJsonLines(Path file, InputStream in, Consumer<String> sink)
      throws IOException {
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16)) {
      String line;
      long lineNo = 0;
      while ((line = reader.readLine()) != null) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        JsonNode doc;
        try {
          doc = JSON.readTree(line);
        } catch (JsonProcessingException e) {
          throw new DataException(file + ":" + lineNo + ": not a JSON object: "
              + e.getOriginalMessage(), e);
        }
        JsonNode text = doc == null ? null : doc.get("text");
        if (text == null || !text.isTextual()) {
          throw new DataException(
              file + ":" + lineNo + ": expected a JSON object with a string field \"text\"");
        }
        sink.accept(text.asText().replace("\r\n", "\n"));
      }
    }
  }
}
