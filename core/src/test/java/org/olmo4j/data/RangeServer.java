package org.olmo4j.data;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A file server on 127.0.0.1 with HEAD and single Range requests, that can lie about sizes. */
public final class RangeServer implements AutoCloseable {
  private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d+)");

  private final HttpServer server;
  public final Map<String, byte[]> files = new ConcurrentHashMap<>();
  /** Path → the size announced in HEAD and Content-Range instead of the real one. */
  public final Map<String, Long> announced = new ConcurrentHashMap<>();
  /** "METHOD PATH RANGE" of every request, in order. */
  public final List<String> requests = Collections.synchronizedList(new ArrayList<>());

  public RangeServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  public String url(String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + path;
  }

  private void handle(HttpExchange x) throws IOException {
    String path = x.getRequestURI().getPath();
    String range = x.getRequestHeaders().getFirst("Range");
    requests.add(x.getRequestMethod() + " " + path + (range == null ? "" : " " + range));
    byte[] body = files.get(path);
    try (x) {
      if (body == null) {
        x.sendResponseHeaders(404, -1);
        return;
      }
      long size = announced.getOrDefault(path, (long) body.length);
      if (x.getRequestMethod().equals("HEAD")) {
        x.getResponseHeaders().set("Content-Length", Long.toString(size));
        x.sendResponseHeaders(200, -1);
        return;
      }
      Matcher m = range == null ? null : RANGE.matcher(range);
      if (m == null || !m.matches()) {
        send(x, 200, body, 0, body.length);
        return;
      }
      long first = Long.parseLong(m.group(1));
      long last = Math.min(Long.parseLong(m.group(2)), size - 1);
      x.getResponseHeaders().set("Content-Range", "bytes " + first + "-" + last + "/" + size);
      // Never more than the real file holds: a lying size shows up as a short body.
      int end = (int) Math.min(last + 1, body.length);
      send(x, 206, body, (int) first, Math.max(0, end - (int) first));
    }
  }

  private static void send(HttpExchange x, int status, byte[] body, int from, int length)
      throws IOException {
    x.sendResponseHeaders(status, length == 0 ? -1 : length);
    try (OutputStream out = x.getResponseBody()) {
      out.write(body, from, length);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
