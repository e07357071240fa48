package org.olmo4j.train;

/** The loss or the gradient norm became NaN/Inf: the run stops and keeps its last checkpoint. */
public final class TrainingDivergedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public TrainingDivergedException(String message) {
    super(message);
  }
}
