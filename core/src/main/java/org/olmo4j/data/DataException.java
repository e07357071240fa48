package org.olmo4j.data;

/** A data file or input that cannot be used as given; the message names the file and the problem. */
public class DataException extends RuntimeException {
  public DataException(String message) {
    super(message);
  }

  public DataException(String message, Throwable cause) {
    super(message, cause);
  }
}
