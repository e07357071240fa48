package org.olmo4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.LongStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.config.MemmapDtype;
import org.olmo4j.tokenizer.OlmoTokenizer;

class DataPreparerTest {
  private static Path tokenizerJson;
  @TempDir Path dir;

  @BeforeAll
  static void tokenizer() {
    tokenizerJson = EmbeddedCorpus.atDefaultCache().resolve("embedded:tokenizer");
  }

  @Test
  void tokenizesTxtJsonlAndGzipWithEosAfterEachDocument() throws Exception {
    Path crlf = Files.write(dir.resolve("crlf.txt"),
        "First line\r\nsecond line\r\n".getBytes(StandardCharsets.US_ASCII));
    Path latin1 = Files.write(dir.resolve("latin1.txt"),
        "Caf\u00e9 cr\u00e8me".getBytes(StandardCharsets.ISO_8859_1));
    Path jsonl = Files.writeString(dir.resolve("docs.jsonl"),
        "{\"text\": \"Hello World!\", \"id\": 1}\n\n{\"text\": \"Second doc\"}\n");
    Path gz = dir.resolve("docs.jsonl.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
      out.write("{\"text\": \"zipped\\r\\ntext\"}\n".getBytes(StandardCharsets.UTF_8));
    }
    Path out = dir.resolve("out");
    var summary = new DataPreparer(tokenizerJson, 7).prepare(List.of(crlf, latin1, jsonl, gz), out);

    List<String> docs = List.of("First line\nsecond line\n", "Caf\u00e9 cr\u00e8me", "Hello World!",
        "Second doc", "zipped\ntext");
    List<Long> expected = new ArrayList<>();
    try (OlmoTokenizer t = OlmoTokenizer.load(tokenizerJson)) {
      for (String d : docs) {
        Arrays.stream(t.encode(d)).forEach(id -> expected.add((long) id));
        expected.add((long) t.eosTokenId());
      }
    }
    assertEquals(5, summary.documents());
    assertEquals(expected.size(), summary.tokens());
    assertEquals(MemmapDtype.UINT16, summary.dtype());
    assertEquals((expected.size() + 6) / 7, summary.files().size(), "rolls every 7 tokens");
    assertEquals(out.resolve("part-00000.npy"), summary.files().get(0));
    LongStream.Builder written = LongStream.builder();
    for (Path f : summary.files()) {
      Arrays.stream(TokenFiles.read(f, MemmapDtype.UINT16)).forEach(written::add);
    }
    assertArrayEquals(expected.stream().mapToLong(Long::longValue).toArray(), written.build().toArray());
    try (var files = Files.list(out)) {
      assertTrue(files.noneMatch(p -> p.toString().endsWith(".tmp")));
    }

    JsonNode manifest = new ObjectMapper().readTree(out.resolve("manifest.json").toFile());
    assertEquals(5, manifest.get("documents").asLong());
    assertEquals(expected.size(), manifest.get("tokens").asLong());
    assertEquals("uint16", manifest.get("dtype").asText());
    assertEquals(Sha256.of(tokenizerJson), manifest.get("tokenizer_sha256").asText());
    assertEquals(4, manifest.get("inputs").size());
  }

  @Test
  void missingTextFieldNamesFileAndLine() throws Exception {
    Path jsonl = Files.writeString(dir.resolve("bad.jsonl"),
        "{\"text\": \"ok\"}\n{\"body\": \"no text\"}\n");
    var e = assertThrows(DataException.class,
        () -> new DataPreparer(tokenizerJson).prepare(List.of(jsonl), dir.resolve("out")));
    assertTrue(e.getMessage().contains(jsonl + ":2"), e.getMessage());
    try (var files = Files.list(dir.resolve("out"))) {
      assertTrue(files.noneMatch(p -> p.toString().endsWith(".tmp")), "unfinished file removed");
    }
  }

  @Test
  void malformedJsonNamesFileAndLine() throws Exception {
    Path jsonl = Files.writeString(dir.resolve("broken.jsonl"), "{\"text\": \"ok\"}\n{oops\n");
    var e = assertThrows(DataException.class,
        () -> new DataPreparer(tokenizerJson).prepare(List.of(jsonl), dir.resolve("out")));
    assertTrue(e.getMessage().contains(jsonl + ":2"), e.getMessage());
  }

  @Test
  void missingOrUnsupportedInputIsNamed() throws Exception {
    Path missing = dir.resolve("nope.txt");
    var e = assertThrows(DataException.class,
        () -> new DataPreparer(tokenizerJson).prepare(List.of(missing), dir.resolve("out")));
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    Path csv = Files.writeString(dir.resolve("data.csv"), "a,b");
    e = assertThrows(DataException.class,
        () -> new DataPreparer(tokenizerJson).prepare(List.of(csv), dir.resolve("out")));
    assertTrue(e.getMessage().contains(csv.toString()), e.getMessage());
  }

  @Test
  void decodesUtf8AndFallsBackToLatin1() {
    assertEquals("na\u00efve\n", DocumentFiles.decodeText("na\u00efve\r\n".getBytes(StandardCharsets.UTF_8)));
    assertEquals("na\u00efve", DocumentFiles.decodeText("na\u00efve".getBytes(StandardCharsets.ISO_8859_1)));
  }
}
