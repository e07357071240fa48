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

/** Two nodes whose cluster traffic runs over Artery TLS (Pekko's settings, as README says). */
class ArteryTlsTest {

  @TempDir Path tmp;

  @Test
  void aRunOfTwoNodesOverArteryTls() throws Exception {
    TestCertificates certs = TestCertificates.selfSigned(tmp);
    String ssl = "-Dpekko.remote.artery.ssl.config-ssl-engine.";
    List<String> tls = List.of("-Dpekko.remote.artery.transport=tls-tcp",
        ssl + "key-store=" + certs.keyStore(), ssl + "trust-store=" + certs.trustStore(),
        ssl + "key-store-password=" + certs.password(), ssl + "key-password=" + certs.password(),
        ssl + "trust-store-password=" + certs.password());
    Path data = ClusterRuns.writeTokens(tmp);
    Path cfg = tmp.resolve("tls.yaml");
    Files.writeString(cfg, ClusterRuns.yaml(data, tmp.resolve("run"), 1, 2, 20, 10));
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Process seed = ClusterRuns.startCliJvm(tmp.resolve("seed.log"),
        List.of("train", cfg.toString(), "--port=" + port), Map.of(), tls);
    Process other = ClusterRuns.startCliJvm(tmp.resolve("other.log"),
        List.of("node", cfg.toString(), "--seed-nodes=127.0.0.1:" + port, "--port=0"), Map.of(), tls);
    try {
      assertTrue(seed.waitFor(180, TimeUnit.SECONDS), "the run finishes");
      String log = Files.readString(tmp.resolve("seed.log"));
      assertEquals(0, seed.exitValue(), log);
      // Pekko's INFO lines go to the run's train.log (the console shows them with --verbose).
      String trainLog = Files.readString(tmp.resolve("run").resolve("train.log"));
      assertTrue(trainLog.contains("transport [Artery tls-tcp]"), "cluster traffic over TLS:\n" + trainLog);
      assertTrue(other.waitFor(60, TimeUnit.SECONDS));
      assertEquals(0, other.exitValue());
      assertEquals(20, ClusterRuns.losses(tmp.resolve("run")).size(), "a world of 2 trained to the end");
    } catch (AssertionError e) {
      for (String name : List.of("seed.log", "other.log")) {
        List<String> l = Files.readAllLines(tmp.resolve(name));
        System.out.println("--- " + name + "\n" + String.join("\n", l.subList(Math.max(0, l.size() - 40), l.size())));
      }
      throw e;
    } finally {
      seed.destroyForcibly();
      other.destroyForcibly();
    }
  }
}
