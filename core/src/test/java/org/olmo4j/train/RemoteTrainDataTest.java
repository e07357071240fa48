package org.olmo4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.data.RangeServer;
import org.olmo4j.eval.EvalSources;

/** Training and eval paths with a scheme go through one resolver, configured by the run. */
class RemoteTrainDataTest {

  @TempDir Path tmp;

  @Test
  void trainingAndEvalReadR2PathsThroughTheRunsPrefixMap() throws Exception {
    Path local = TinyRun.writeTokens(tmp, 16 * 40, 9);
    byte[] bytes = Files.readAllBytes(local);
    try (RangeServer server = new RangeServer()) {
      server.files.put("/olmo-data/train.npy", bytes);
      server.files.put("/olmo-data/eval.npy", bytes);
      Path cache = tmp.resolve("remote-cache");
      TrainConfig cfg = TinyRun.config(local, tmp.resolve("run"),
          "--data.paths=[r2://olmo-data/train.npy]",
          "--data.remote_prefix_map=r2://olmo-data=" + server.url("/olmo-data"),
          "--data.remote_cache_dir=" + cache);
      try (TrainData data = TrainData.open(cfg)) {
        assertEquals(40, data.numInstances());
        assertArrayEquals(bytes, Files.readAllBytes(cache.resolve(hostDir(server)).resolve("olmo-data/train.npy")));
      }
      Path eval = EvalSources.of(cfg).resolve("r2://olmo-data/eval.npy");
      assertTrue(eval.startsWith(cache), eval.toString());
      assertArrayEquals(bytes, Files.readAllBytes(eval));
    }
  }

  private static String hostDir(RangeServer server) {
    String url = server.url("");
    return "127.0.0.1_" + url.substring(url.lastIndexOf(':') + 1);
  }
}
