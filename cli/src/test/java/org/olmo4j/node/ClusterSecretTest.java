package org.olmo4j.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node that cannot present the cluster's shared secret is refused, however it got in. */
class ClusterSecretTest {

  @TempDir Path tmp;

  @Test
  void aNodeWithTheWrongSecretIsRefusedAndLeaves() throws Exception {
    Path data = ClusterRuns.writeTokens(tmp);
    Path cfg = tmp.resolve("secret.yaml");
    Files.writeString(cfg, ClusterRuns.yaml(data, tmp.resolve("run"), 1, 2, 20, 10)
        .replace("exchange_timeout_seconds: 30}", "exchange_timeout_seconds: 30, secret_env: RUN_SECRET}"));
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Process seed = ClusterRuns.startCliJvm(tmp.resolve("seed.log"),
        List.of("train", cfg.toString(), "--port=" + port), Map.of("RUN_SECRET", "right"));
    try {
      Process intruder = ClusterRuns.startCliJvm(tmp.resolve("intruder.log"),
          List.of("node", cfg.toString(), "--seed-nodes=127.0.0.1:" + port, "--port=0"),
          Map.of("RUN_SECRET", "wrong"));
      assertTrue(intruder.waitFor(120, TimeUnit.SECONDS), "the refused node exits");
      assertEquals(NodeGuardian.EXIT_REFUSED, intruder.exitValue());
      String log = Files.readString(tmp.resolve("intruder.log"));
      assertTrue(log.contains("shared secret"), log);
      Process member = ClusterRuns.startCliJvm(tmp.resolve("member.log"),
          List.of("node", cfg.toString(), "--seed-nodes=127.0.0.1:" + port, "--port=0"),
          Map.of("RUN_SECRET", "right"));
      assertTrue(seed.waitFor(180, TimeUnit.SECONDS), "the run with the right node finishes");
      assertEquals(0, seed.exitValue(), Files.readString(tmp.resolve("seed.log")));
      assertTrue(member.waitFor(60, TimeUnit.SECONDS));
      assertEquals(0, member.exitValue());
      assertEquals(20, ClusterRuns.losses(tmp.resolve("run")).size());
    } finally {
      seed.destroyForcibly();
    }
  }
}
