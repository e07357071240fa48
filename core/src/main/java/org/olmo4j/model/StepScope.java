package org.olmo4j.model;

import ai.djl.ndarray.NDManager;

/**
 * One training or evaluation step's memory: while open, the model's parameters are
 * temp-attached to {@link #manager()}, so every intermediate of forward and backward lands there
 * and is freed on {@link #close()}; the parameters then go back to the model.
 */
public final class StepScope implements AutoCloseable {

  private final OlmoModel model;
  private final NDManager manager;

  StepScope(OlmoModel model, NDManager manager) {
    this.model = model;
    this.manager = manager;
  }

  /** The step's manager: create this step's inputs here. */
  public NDManager manager() {
    return manager;
  }

  @Override
  public void close() {
    model.scopeClosed(this);
    manager.close();
  }
}
