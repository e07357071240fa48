package org.olmo4j.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local cache of files served over http(s): {@code CACHE/HOST/PATH}. A file is downloaded with
 * range requests into {@code FILE.part} (a download cut short resumes where it stopped), checked
 * against the size the server announces, and only then renamed into place, so a file in the
 * cache is always whole. A cached file is used without asking the server again.
 */
public final class RemoteFiles {
  private static final Logger LOG = LoggerFactory.getLogger(RemoteFiles.class);
  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
  /** Bytes per range request: a lost connection costs at most this much. */
  private static final long CHUNK = 16L << 20;
  private static final int ATTEMPTS = 3;
  private static final Object JVM_LOCK = new Object();

  private final Path cacheDir;
  private final long chunk;
  private final HttpClient http;

  public RemoteFiles(Path cacheDir) {
    this(cacheDir, CHUNK);
  }

  RemoteFiles(Path cacheDir, long chunk) {
    this.cacheDir = cacheDir;
    this.chunk = chunk;
    this.http = HttpClient.newBuilder()
        .followRedirects(HttpClient.Redirect.NORMAL)
        .connectTimeout(Duration.ofSeconds(30))
        .build();
  }

  public Path cacheDir() {
    return cacheDir;
  }

  /** Whether {@code path} is an http or https URL. */
  public static boolean isHttp(String path) {
    return path.startsWith("http://") || path.startsWith("https://");
  }

  /** The local copy of {@code url}, downloaded first if the cache lacks it. */
  public Path fetch(String url) {
    URI uri = URI.create(url);
    Path file = localPath(uri);
    if (Files.isRegularFile(file)) {
      return file;
    }
    synchronized (JVM_LOCK) {
      try {
        Files.createDirectories(file.getParent());
        try (FileChannel lockChannel = FileChannel.open(file.resolveSibling(file.getFileName() + ".lock"),
            StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = lockChannel.lock()) {
          if (!Files.isRegularFile(file)) { // another process may have finished it meanwhile
            download(uri, file);
          }
        }
      } catch (IOException e) {
        throw new DataException("cannot download " + url + " into " + file + ": " + e.getMessage(), e);
      }
    }
    return file;
  }

  /** {@code CACHE/HOST[_PORT]/PATH}; a path that would leave its host's directory is refused. */
  Path localPath(URI uri) {
    if (uri.getHost() == null || uri.getPath() == null || uri.getPath().isEmpty()
        || uri.getPath().endsWith("/")) {
      throw new DataException("remote path " + uri + ": expected http(s)://HOST/PATH/FILE");
    }
    String host = uri.getPort() < 0 ? uri.getHost() : uri.getHost() + "_" + uri.getPort();
    Path hostDir = cacheDir.resolve(host).normalize();
    Path file = hostDir.resolve(uri.getPath().substring(1)).normalize();
    if (!file.startsWith(hostDir) || file.equals(hostDir)) {
      throw new DataException("remote path " + uri + ": the path leaves the cache directory");
    }
    return file;
  }

  private void download(URI uri, Path file) throws IOException {
    Path part = file.resolveSibling(file.getFileName() + ".part");
    long size = size(uri);
    long have = Files.isRegularFile(part) ? Files.size(part) : 0;
    if (have > size) {
      Files.delete(part); // a different file was here before; start over
      have = 0;
    }
    LOG.info("downloading {} ({} bytes{}) into {}", uri, size,
        have > 0 ? ", resuming at " + have : "", file);
    while (have < size) {
      long end = Math.min(size, have + chunk) - 1;
      have = fetchRange(uri, part, have, end, size);
    }
    if (Files.size(part) != size) {
      throw new DataException("download of " + uri + " has " + Files.size(part)
          + " bytes but the server announced " + size);
    }
    Files.move(part, file, StandardCopyOption.ATOMIC_MOVE);
  }

  /** The size the server announces: HEAD's Content-Length, else a one-byte range's total. */
  private long size(URI uri) throws IOException {
    HttpResponse<Void> head = send(HttpRequest.newBuilder(uri).method("HEAD",
        HttpRequest.BodyPublishers.noBody()), HttpResponse.BodyHandlers.discarding());
    if (head.statusCode() == 200) {
      OptionalLong length = head.headers().firstValueAsLong("Content-Length");
      if (length.isPresent()) {
        return length.getAsLong();
      }
    } else if (head.statusCode() != 405 && head.statusCode() != 501) { // 405/501: no HEAD here
      checkStatus(uri, head.statusCode(), "HEAD");
    }
    HttpResponse<Void> probe = send(HttpRequest.newBuilder(uri).header("Range", "bytes=0-0"),
        HttpResponse.BodyHandlers.discarding());
    checkStatus(uri, probe.statusCode(), "GET");
    return contentRange(uri, probe).total();
  }

  /** Appends bytes {@code [from, to]} to {@code part}; returns the new length of {@code part}. */
  private long fetchRange(URI uri, Path part, long from, long to, long size) throws IOException {
    IOException last = null;
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      if (from > to) {
        return from;
      }
      HttpResponse<InputStream> r = send(HttpRequest.newBuilder(uri)
          .header("Range", "bytes=" + from + "-" + to), HttpResponse.BodyHandlers.ofInputStream());
      try (InputStream body = r.body()) {
        checkStatus(uri, r.statusCode(), "GET");
        long expected;
        if (r.statusCode() == 206) {
          Range range = contentRange(uri, r);
          if (range.total() != size || range.first() != from) {
            throw new DataException(uri + " answered bytes " + range.first() + "-" + range.last()
                + " of " + range.total() + " to a request for " + from + "-" + to + " of " + size
                + ": the file changed on the server or its size is wrong");
          }
          expected = range.last() - range.first() + 1;
        } else if (from == 0) {
          expected = size; // a server without ranges sends the whole file
        } else {
          throw new DataException(uri + ": the server ignores range requests (HTTP "
              + r.statusCode() + " to a range from byte " + from + "); delete " + part
              + " to download it again from the start");
        }
        long written = append(body, part, expected);
        if (written != expected) {
          throw new DataException(uri + ": got " + (from + written) + " bytes where the server "
              + "announced " + (from + expected) + " (size mismatch)");
        }
        return from + written;
      } catch (IOException e) {
        last = e;
        LOG.warn("download of {} broke at byte {} (attempt {} of {}): {}", uri, from, attempt,
            ATTEMPTS, e.toString());
        from = Files.size(part);
      }
    }
    throw last;
  }

  private static long append(InputStream body, Path part, long limit) throws IOException {
    long written = 0;
    byte[] buf = new byte[1 << 16];
    try (OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE,
        StandardOpenOption.APPEND)) {
      int n;
      while ((n = body.read(buf)) > 0) {
        if (written + n > limit) {
          // More than announced: keep what fits and report the surplus as a size mismatch.
          out.write(buf, 0, (int) (limit - written));
          return limit + n;
        }
        out.write(buf, 0, n);
        written += n;
      }
    }
    return written;
  }

  private record Range(long first, long last, long total) {}

  private static Range contentRange(URI uri, HttpResponse<?> r) {
    String header = r.headers().firstValue("Content-Range").orElse("");
    Matcher m = CONTENT_RANGE.matcher(header);
    if (!m.matches() || m.group(3).equals("*")) {
      throw new DataException(uri + ": the server gives no file size (Content-Length or "
          + "Content-Range total); got Content-Range '" + header + "'");
    }
    return new Range(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)));
  }

  private static void checkStatus(URI uri, int status, String method) {
    if (status != 200 && status != 206) {
      throw new DataException(method + " " + uri + ": HTTP " + status
          + (status == 404 ? " (not found)" : status == 403 ? " (forbidden)" : ""));
    }
  }

  private <T> HttpResponse<T> send(HttpRequest.Builder request, HttpResponse.BodyHandler<T> body)
      throws IOException {
    try {
      return http.send(request.timeout(Duration.ofMinutes(10)).build(), body);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
