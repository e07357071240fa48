package org.olmo4j.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.node.ClusterRuns;
import org.olmo4j.node.FileEvents;

/** The control service over TLS with a self-signed certificate; a plain-text client gets nothing. */
class ControlTlsTest {

  @TempDir Path tmp;

  @Test
  void statusOverTlsAndPlainTextIsRefused() throws Exception {
    org.olmo4j.node.TestCertificates certs = org.olmo4j.node.TestCertificates.selfSigned(tmp);
    Path server = certs.keyStore();
    Path trust = certs.trustStore();
    Path data = ClusterRuns.writeTokens(tmp);
    Path save = tmp.resolve("run");
    Path cfg = tmp.resolve("tls.yaml");
    Files.writeString(cfg, ClusterRuns.yaml(data, save, 1, 1, 100_000, 1000,
        "control: {port: 0, token_file: null, token_env: RUN_TOKEN, tls_keystore: " + server
            + ", tls_password_env: KEYSTORE_PASSWORD}"));
    Process run = ClusterRuns.startCliJvm(tmp.resolve("run.log"), List.of("train", cfg.toString(), "--port=0"),
        Map.of("RUN_TOKEN", "tls-token", "KEYSTORE_PASSWORD", "pw123456"));
    try {
      FileEvents.await(save, Duration.ofSeconds(120), "control.json written",
          () -> Files.exists(save.resolve("control.json")), run.onExit());
      ControlEndpoint info = ControlEndpoint.of(save);
      assertTrue(info.tls(), info.toString());
      int port = info.port();
      try (ControlConnection tls = new ControlConnection("127.0.0.1", port, "tls-token", true, trust, "pw123456");
          ControlConnection plain = new ControlConnection("127.0.0.1", port, "tls-token", false)) {
        assertTrue(List.of("waiting", "training").contains(tls.status().getState()));
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, plain::status);
        assertEquals("UNAVAILABLE", e.getStatus().getCode().name(), e.getStatus().toString());
        tls.stop();
      }
      assertTrue(run.waitFor(60, TimeUnit.SECONDS), "the run stops");
      assertEquals(0, run.exitValue());
    } finally {
      run.destroyForcibly();
    }
  }
}
