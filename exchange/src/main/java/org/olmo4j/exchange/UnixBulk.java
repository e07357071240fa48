package org.olmo4j.exchange;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The same-host bulk transport: a server also listens on an AF_UNIX socket and peers on its host
 * connect there instead of to its TCP port. Same frames, same preface; without the TCP/IP stack
 * the kernel moves each byte with about half the CPU of loopback TCP, which on a node of several
 * workers is CPU the compute keeps. Like NCCL's intra-node transports, it is used
 * only between workers of one host: a peer is on this host when its Hello names this kernel's
 * boot id, and when its socket cannot be reached (another mount namespace, a removed file) the
 * connection falls back to TCP.
 */
final class UnixBulk {

  private static final Logger log = LoggerFactory.getLogger(UnixBulk.class);

  /** This kernel's boot id: equal for every process of one host; empty where it is not known. */
  static final String HOST_ID = readHostId();

  private static final Pattern SOCKET_FILE = Pattern.compile("olmo4j-(\\d{1,18})-\\d+\\.sock");

  private UnixBulk() {}

  private static String readHostId() {
    try {
      return Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim();
    } catch (IOException | RuntimeException e) {
      return ""; // not Linux: peers connect over TCP
    }
  }

  /** A listening AF_UNIX socket and its file. */
  record Listener(ServerSocketChannel channel, Path path) {

    /** Stops listening and removes the socket's file. */
    void close() {
      try {
        channel.close();
        Files.deleteIfExists(path);
      } catch (IOException ignored) {
        // Closed already, or the file went with it: nothing left to release.
      }
    }
  }

  /**
   * Listens on {@code olmo4j-PID-PORT.sock} in the temporary directory, named after this
   * process and the server's TCP bulk port (unique on the host among live servers); null, with
   * a warning, when that is not possible (the TCP port still serves every peer). The files of
   * processes that are gone (killed before they could remove them) are removed first.
   */
  static Listener listen(int tcpBulkPort) {
    if (HOST_ID.isEmpty()) {
      return null;
    }
    Path dir = Path.of(System.getProperty("java.io.tmpdir"));
    removeStale(dir);
    Path path = dir.resolve("olmo4j-" + ProcessHandle.current().pid() + "-" + tcpBulkPort + ".sock");
    ServerSocketChannel ch = null;
    try {
      ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      ch.bind(UnixDomainSocketAddress.of(path));
      return new Listener(ch, path);
    } catch (IOException | RuntimeException e) {
      log.warn("no AF_UNIX bulk socket at {} ({}): same-host peers connect over TCP", path,
          e.toString());
      if (ch != null) {
        try {
          ch.close();
        } catch (IOException ignored) {
          // Never bound.
        }
      }
      return null;
    }
  }

  /** Removes {@code olmo4j-PID-PORT.sock} files in {@code dir} whose process is not running. */
  static void removeStale(Path dir) {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "olmo4j-*.sock")) {
      for (Path f : files) {
        Matcher m = SOCKET_FILE.matcher(f.getFileName().toString());
        if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
          Files.deleteIfExists(f);
        }
      }
    } catch (IOException | RuntimeException e) {
      log.debug("could not remove stale AF_UNIX bulk sockets in {}: {}", dir, e.toString());
    }
  }

  /** Connects to the AF_UNIX socket at {@code path}. */
  static SocketChannel connect(Path path) throws IOException {
    SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      ch.connect(UnixDomainSocketAddress.of(path));
      return ch;
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /** Whether {@code ch} is an AF_UNIX connection. */
  static boolean isUnix(SocketChannel ch) {
    try {
      return ch.getLocalAddress() instanceof UnixDomainSocketAddress;
    } catch (IOException e) {
      return false;
    }
  }
}
