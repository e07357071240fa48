package org.olmo4j.exchange;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The same-host bulk transport: a server also listens on an AF_UNIX socket and peers on its host
 * connect there instead of to its TCP port. Same frames, same preface; without the TCP/IP stack
 * the kernel moves each byte with less CPU than over loopback TCP, which on a node of several
 * workers is CPU the compute keeps. Like NCCL's intra-node transports, it is used only between
 * workers of one host: a peer is on this host when its Hello names this kernel's boot id, and
 * when its socket cannot be reached or refuses the connection (another mount namespace, a removed
 * file) the connection is made over TCP.
 */
final class UnixBulk {

  private static final Logger log = LoggerFactory.getLogger(UnixBulk.class);

  /** This kernel's boot id: equal for every process of one host; empty where it is not known. */
  static final String HOST_ID = readHostId();

  /** {@code olmo4j-PID-PORT-TOKEN.sock}: the process, its TCP bulk port, a random token. */
  private static final Pattern SOCKET_FILE =
      Pattern.compile("olmo4j-(\\d{1,18})-\\d+-[0-9a-f]+\\.sock");

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
      } catch (IOException ignored) {
        // Closed already: the file goes below.
      } finally {
        try {
          Files.deleteIfExists(path);
        } catch (IOException ignored) {
          // Removed already, or not ours to remove.
        }
      }
    }
  }

  /**
   * Listens on {@code olmo4j-PID-PORT-TOKEN.sock} in the temporary directory, named after this
   * process, the server's TCP bulk port and a random token (no two servers share a name, even in
   * containers that share the directory); null, with a warning, when that is not possible (the
   * TCP port still serves every peer). The files of processes that are gone (killed before they
   * could remove them) are removed first.
   */
  static Listener listen(int tcpBulkPort) {
    if (HOST_ID.isEmpty()) {
      return null;
    }
    Path path = null;
    try {
      Path dir = tmpDir();
      removeStale(dir);
      path = dir.resolve("olmo4j-" + ProcessHandle.current().pid() + "-" + tcpBulkPort + "-"
          + Integer.toHexString(ThreadLocalRandom.current().nextInt()) + ".sock");
      return new Listener(bind(path), path);
    } catch (IOException | RuntimeException e) {
      log.warn("no AF_UNIX bulk socket{} ({}): same-host peers connect over TCP",
          path == null ? "" : " at " + path, e.toString());
      return null;
    }
  }

  /** The temporary directory ({@code java.io.tmpdir}), absolute: peers are told paths in it. */
  static Path tmpDir() {
    return Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath();
  }

  /** An AF_UNIX socket listening at {@code path} (closed again if it cannot bind). */
  static ServerSocketChannel bind(Path path) throws IOException {
    ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      return ch.bind(UnixDomainSocketAddress.of(path));
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /**
   * Removes the socket files in {@code dir} whose process is not running. Where processes of
   * other PID namespaces share the directory, theirs look gone too: a removed file sends their
   * new same-host connections over TCP; the connections they have stay.
   */
  static void removeStale(Path dir) {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "olmo4j-*.sock")) {
      for (Path f : files) {
        Matcher m = SOCKET_FILE.matcher(f.getFileName().toString());
        if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
          try {
            Files.deleteIfExists(f);
          } catch (IOException e) {
            log.debug("could not remove stale AF_UNIX bulk socket {}: {}", f, e.toString());
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      log.debug("could not list stale AF_UNIX bulk sockets in {}: {}", dir, e.toString());
    }
  }

  /**
   * Connects to the AF_UNIX socket at {@code path}, without waiting: an AF_UNIX connect
   * completes at once or fails (a listener whose backlog is full refuses rather than queues).
   */
  static SocketChannel connect(Path path) throws IOException {
    SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      ch.configureBlocking(false);
      if (!ch.connect(UnixDomainSocketAddress.of(path))) {
        throw new IOException(path + " did not accept the connection at once");
      }
      ch.configureBlocking(true);
      return ch;
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /** Whether {@code ch} is an AF_UNIX connection. */
  static boolean isUnix(SocketChannel ch) {
    try {
      return ch.getRemoteAddress() instanceof UnixDomainSocketAddress;
    } catch (IOException e) {
      return false;
    }
  }
}
