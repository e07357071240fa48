package org.olmo4j.bootstrap;

/** A launch environment or argument the user has to fix: names the variable, its value and what was expected. */
public final class BootstrapException extends IllegalArgumentException {

  public BootstrapException(String message) {
    super(message);
  }
}
