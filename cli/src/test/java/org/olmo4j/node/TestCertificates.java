package org.olmo4j.node;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A self-signed certificate for 127.0.0.1 made with the JDK's keytool, for the TLS tests. */
public record TestCertificates(Path keyStore, Path trustStore, String password) {

  /** Writes {@code server.p12} (RSA key + certificate) and {@code trust.p12} (the certificate). */
  public static TestCertificates selfSigned(Path dir) throws Exception {
    TestCertificates c = new TestCertificates(dir.resolve("server.p12"), dir.resolve("trust.p12"),
        "pw123456");
    Path cert = dir.resolve("server.cer");
    keytool("-genkeypair", "-alias", "olmo4j", "-keyalg", "RSA", "-keysize", "2048",
        "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12",
        "-keystore", c.keyStore.toString(), "-storepass", c.password, "-keypass", c.password);
    keytool("-exportcert", "-alias", "olmo4j", "-keystore", c.keyStore.toString(), "-storepass",
        c.password, "-file", cert.toString());
    keytool("-importcert", "-noprompt", "-alias", "olmo4j", "-file", cert.toString(), "-keystore",
        c.trustStore.toString(), "-storetype", "PKCS12", "-storepass", c.password);
    return c;
  }

  private static void keytool(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, out);
  }
}
