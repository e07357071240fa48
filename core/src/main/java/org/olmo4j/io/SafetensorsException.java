package org.olmo4j.io;

import java.io.IOException;
import java.nio.file.Path;

/** A safetensors file that is malformed or does not hold what was asked; names the file. */
public class SafetensorsException extends IOException {
  public SafetensorsException(Path file, String message) {
    super(file + ": " + message);
  }
}
