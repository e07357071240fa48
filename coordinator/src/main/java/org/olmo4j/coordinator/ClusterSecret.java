package org.olmo4j.coordinator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.olmo4j.config.ClusterConfig;

/**
 * The cluster's shared secret ({@code cluster.secret_file} / {@code cluster.secret_env}): a node
 * presents an HMAC-SHA256 of its address under the secret, so reaching the cluster port is not
 * enough to join the run. Without a secret configured every node's proof is empty and accepted.
 */
public final class ClusterSecret {

  private final byte[] key;

  private ClusterSecret(byte[] key) {
    this.key = key;
  }

  /** The secret the config names; fails naming the key when it names one that is not there. */
  public static ClusterSecret of(ClusterConfig c) {
    try {
      if (c.secretFile() != null) {
        Path f = Path.of(c.secretFile());
        if (!Files.isReadable(f)) {
          throw new IllegalArgumentException("cluster.secret_file " + f + " cannot be read");
        }
        return nonEmpty(Files.readString(f, StandardCharsets.UTF_8).strip(), "cluster.secret_file " + f);
      }
      if (c.secretEnv() != null) {
        String v = System.getenv(c.secretEnv());
        if (v == null) {
          throw new IllegalArgumentException("cluster.secret_env names " + c.secretEnv()
              + ", which is not set");
        }
        return nonEmpty(v.strip(), "cluster.secret_env " + c.secretEnv());
      }
      return new ClusterSecret(null);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ClusterSecret nonEmpty(String secret, String where) {
    if (secret.isEmpty()) {
      throw new IllegalArgumentException(where + " is empty");
    }
    return new ClusterSecret(secret.getBytes(StandardCharsets.UTF_8));
  }

  public boolean configured() {
    return key != null;
  }

  /** The proof a node at {@code address} presents ("" without a secret). */
  public String proof(String address) {
    if (key == null) {
      return "";
    }
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(address.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  /** True when {@code proof} is this secret's proof for {@code address}, or no secret is set. */
  boolean verifies(String address, String proof) {
    return key == null || MessageDigest.isEqual(proof(address).getBytes(StandardCharsets.UTF_8),
        (proof == null ? "" : proof).getBytes(StandardCharsets.UTF_8));
  }
}
