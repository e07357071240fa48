package org.olmo4j.exchange;

/** A collective operation failed: a peer vanished or timed out, or sent something unexpected. */
public class ExchangeException extends RuntimeException {

  public ExchangeException(String message) {
    super(message);
  }

  public ExchangeException(String message, Throwable cause) {
    super(message, cause);
  }
}
