package org.olmo4j.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Where a run's control service listens: {@code HOST:PORT}, as in {@code SAVE_FOLDER/control.json}. */
public record ControlEndpoint(String host, int port, boolean tls) {

  static final String FILE = "control.json";

  /** {@code HOST:PORT}; a clear error naming the value otherwise. */
  public static ControlEndpoint parse(String hostPort, boolean tls) {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("endpoint '" + hostPort + "' is not HOST:PORT");
    }
    try {
      return new ControlEndpoint(hostPort.substring(0, colon),
          Integer.parseInt(hostPort.substring(colon + 1)), tls);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("endpoint '" + hostPort + "' has no numeric port");
    }
  }

  /** The endpoint the run writing into {@code saveFolder} announced. */
  public static ControlEndpoint of(Path saveFolder) throws IOException {
    JsonNode n = new ObjectMapper().readTree(saveFolder.resolve(FILE).toFile());
    return parse(n.get("endpoint").asText(), n.path("tls").asBoolean(false));
  }

  /**
   * Announces this endpoint in {@code saveFolder}, atomically: a reader that sees the file sees
   * all of it (ctl and tests read it as soon as it exists).
   */
  void write(Path saveFolder) throws IOException {
    Files.createDirectories(saveFolder);
    Path tmp = saveFolder.resolve(FILE + ".tmp");
    Files.writeString(tmp, "{\"endpoint\": \"" + this + "\", \"tls\": " + tls + "}\n");
    Files.move(tmp, saveFolder.resolve(FILE), StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
  }

  @Override
  public String toString() {
    return host + ":" + port;
  }
}
