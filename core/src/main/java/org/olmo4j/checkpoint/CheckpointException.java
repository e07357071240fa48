package org.olmo4j.checkpoint;

import java.io.IOException;

/** A checkpoint that is incomplete, corrupt or does not match what is being loaded. */
public class CheckpointException extends IOException {
  public CheckpointException(String message) {
    super(message);
  }
}
