package org.olmo4j.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import java.util.zip.GZIPInputStream;

/**
 * Reads regular files out of a {@code .tgz} (ustar, with the ustar name prefix, GNU long names and
 * PAX {@code path} records) into memory.
 */
final class TarGzArchive {
  private static final int BLOCK = 512;

  private TarGzArchive() {}

  /** Contents of the regular files whose names match {@code wanted}, keyed by name, in order. */
  static Map<String, byte[]> read(Path tgz, Predicate<String> wanted) {
    Map<String, byte[]> files = new LinkedHashMap<>();
    try (InputStream in =
        new GZIPInputStream(new BufferedInputStream(Files.newInputStream(tgz), 1 << 16), 1 << 16)) {
      String longName = null;
      byte[] header = new byte[BLOCK];
      while (in.readNBytes(header, 0, BLOCK) == BLOCK && !isZero(header)) {
        long size = parseOctal(header, 124, 12, tgz);
        char type = (char) header[156];
        String name = longName != null ? longName : ustarName(header);
        longName = null;
        byte[] body = null;
        if (type == 'L' || type == 'x' || ((type == '0' || type == '\0') && wanted.test(name))) {
          body = in.readNBytes(Math.toIntExact(size));
          if (body.length != size) {
            throw new DataException("archive " + tgz + " is truncated in entry " + name);
          }
        } else {
          in.skipNBytes(size);
        }
        in.skipNBytes((BLOCK - size % BLOCK) % BLOCK);
        if (type == 'L') {
          longName = cString(body, 0, body.length);
        } else if (type == 'x') {
          longName = paxPath(body);
        } else if (body != null) {
          files.put(name, body);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read archive " + tgz, e);
    }
    return files;
  }

  private static String ustarName(byte[] h) {
    String name = cString(h, 0, 100);
    boolean ustar = "ustar".equals(cString(h, 257, 5));
    String prefix = ustar ? cString(h, 345, 155) : "";
    return prefix.isEmpty() ? name : prefix + "/" + name;
  }

  /** The {@code path} record of a PAX extended header, or null. */
  private static String paxPath(byte[] body) {
    String records = new String(body, StandardCharsets.UTF_8);
    for (String record : records.split("\n")) {
      int space = record.indexOf(' ');
      if (space > 0 && record.startsWith("path=", space + 1)) {
        return record.substring(space + 1 + "path=".length());
      }
    }
    return null;
  }

  private static String cString(byte[] b, int offset, int length) {
    int end = offset;
    while (end < offset + length && b[end] != 0) {
      end++;
    }
    return new String(b, offset, end - offset, StandardCharsets.UTF_8);
  }

  private static long parseOctal(byte[] b, int offset, int length, Path tgz) {
    String s = cString(b, offset, length).trim();
    try {
      return s.isEmpty() ? 0 : Long.parseLong(s, 8);
    } catch (NumberFormatException e) {
      throw new DataException("archive " + tgz + ": bad tar header size field '" + s + "'", e);
    }
  }

  private static boolean isZero(byte[] block) {
    for (byte b : block) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }
}
