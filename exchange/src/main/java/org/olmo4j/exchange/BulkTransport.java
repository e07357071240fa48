package org.olmo4j.exchange;

import java.util.Locale;

/**
 * How bulk frames travel between JVMs of one host in {@link ExchangeBenchmark}: over AF_UNIX
 * sockets, as workers of one host exchange ({@link UnixBulk}), or over loopback TCP, as with
 * {@code cluster.data_plane.unix_sockets: false} and between hosts.
 */
public enum BulkTransport {
  UNIX,
  TCP;

  /** {@code unix} or {@code tcp}. */
  public static BulkTransport parse(String name) {
    for (BulkTransport t : values()) {
      if (t.label().equals(name)) {
        return t;
      }
    }
    throw new IllegalArgumentException("--transport must be unix or tcp, got '" + name + "'");
  }

  /** The name {@link #parse} takes. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
