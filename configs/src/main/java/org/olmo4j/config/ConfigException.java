package org.olmo4j.config;

/** A config the user wrote cannot be used; the message names file or override, key and problem. */
public class ConfigException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
