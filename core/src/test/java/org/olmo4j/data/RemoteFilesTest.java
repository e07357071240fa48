package org.olmo4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.config.MemmapDtype;

class RemoteFilesTest {

  @TempDir Path tmp;
  private RangeServer server;
  private final byte[] data = new byte[5000];

  @BeforeEach
  void start() throws Exception {
    new SplittableRandom(1).nextBytes(data);
    server = new RangeServer();
    server.files.put("/bucket/part-0.npy", data);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void downloadsInRangesIntoTheCacheOnce() throws Exception {
    RemoteFiles remote = new RemoteFiles(tmp.resolve("cache"), 2048);
    Path file = remote.fetch(server.url("/bucket/part-0.npy"));
    assertArrayEquals(data, Files.readAllBytes(file));
    assertTrue(file.startsWith(tmp.resolve("cache").resolve("127.0.0.1_" + port())), file.toString());
    assertEquals(List.of("HEAD /bucket/part-0.npy", "GET /bucket/part-0.npy bytes=0-2047",
        "GET /bucket/part-0.npy bytes=2048-4095", "GET /bucket/part-0.npy bytes=4096-4999"),
        server.requests);
    assertEquals(file, remote.fetch(server.url("/bucket/part-0.npy")));
    assertEquals(4, server.requests.size(), "a cached file is not fetched again");
  }

  @Test
  void aCutDownloadResumesWhereItStopped() throws Exception {
    RemoteFiles remote = new RemoteFiles(tmp.resolve("cache"), 2048);
    Path file = remote.localPath(java.net.URI.create(server.url("/bucket/part-0.npy")));
    Files.createDirectories(file.getParent());
    Files.write(file.resolveSibling("part-0.npy.part"), java.util.Arrays.copyOf(data, 1500));
    assertArrayEquals(data, Files.readAllBytes(remote.fetch(server.url("/bucket/part-0.npy"))));
    assertEquals("GET /bucket/part-0.npy bytes=1500-3547", server.requests.get(1));
    assertFalse(Files.exists(file.resolveSibling("part-0.npy.part")));
  }

  @Test
  void aSizeMismatchFailsAndLeavesNoFileInTheCache() {
    server.announced.put("/bucket/part-0.npy", 6000L);
    RemoteFiles remote = new RemoteFiles(tmp.resolve("cache"), 1 << 20);
    DataException e = assertThrows(DataException.class,
        () -> remote.fetch(server.url("/bucket/part-0.npy")));
    assertTrue(e.getMessage().contains("size mismatch"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), "one line");
    Path file = remote.localPath(java.net.URI.create(server.url("/bucket/part-0.npy")));
    assertFalse(Files.exists(file), "never a half file in place");
  }

  @Test
  void aMissingFileIsOneLineNamingTheUrlAndStatus() {
    RemoteFiles remote = new RemoteFiles(tmp.resolve("cache"));
    DataException e = assertThrows(DataException.class,
        () -> remote.fetch(server.url("/bucket/missing.npy")));
    assertEquals("HEAD " + server.url("/bucket/missing.npy") + ": HTTP 404 (not found)", e.getMessage());
  }

  @Test
  void aMappedPrefixReadsR2PathsFromTheLocalServer() throws Exception {
    byte[] tokens = new byte[64];
    for (int i = 0; i < 32; i++) {
      tokens[2 * i] = (byte) i;
    }
    server.files.put("/olmo-data/preprocessed/part-1.npy", tokens);
    DataPaths paths = new DataPaths(tmp.resolve("root"), tmp.resolve("remote"),
        List.of("r2://olmo-data=" + server.url("/olmo-data")));
    Path local = paths.resolve("r2://olmo-data/preprocessed/part-1.npy");
    try (TokenDataset ds = TokenDataset.open(List.of(local), MemmapDtype.UINT16, 8, 50, null)) {
      long[] row = new long[8];
      ds.readInstance(3, row);
      assertArrayEquals(new long[] {24, 25, 26, 27, 28, 29, 30, 31}, row);
    }
  }

  @Test
  void anUnmappedSchemeSaysHowToMakeItLocal() {
    DataPaths paths = new DataPaths(tmp.resolve("root"), tmp.resolve("remote"), List.of());
    for (String p : List.of("s3://ai2-llm/x.npy", "r2://olmo-data/x.npy", "gs://b/x.npy")) {
      DataException e = assertThrows(DataException.class, () -> paths.resolve(p));
      String scheme = p.substring(0, p.indexOf("://") + 3);
      assertTrue(e.getMessage().startsWith("data path " + p + ": olmo4j reads local files and "
          + "http(s) only, not " + scheme), e.getMessage());
      assertTrue(e.getMessage().contains("--data.remote_prefix_map="), e.getMessage());
      assertFalse(e.getMessage().contains("\n"), "one line");
    }
    assertTrue(server.requests.isEmpty());
  }

  @Test
  void aPrefixMayMapToALocalDirectory() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("mirror"));
    DataPaths paths = new DataPaths(tmp.resolve("root"), tmp.resolve("remote"),
        List.of("s3://ai2-llm=" + dir));
    assertEquals(dir.resolve("x/y.npy"), paths.resolve("s3://ai2-llm/x/y.npy"));
  }

  private int port() {
    String url = server.url("/");
    return Integer.parseInt(url.substring(url.lastIndexOf(':') + 1, url.length() - 1));
  }
}
