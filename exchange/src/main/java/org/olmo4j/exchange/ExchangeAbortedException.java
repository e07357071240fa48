package org.olmo4j.exchange;

/** The world of this exchange was superseded by a newer generation. */
public class ExchangeAbortedException extends ExchangeException {

  private final long generation;
  private final long newGeneration;

  public ExchangeAbortedException(long generation, long newGeneration) {
    super("exchange of generation " + generation + " aborted: superseded by generation "
        + newGeneration);
    this.generation = generation;
    this.newGeneration = newGeneration;
  }

  public long generation() {
    return generation;
  }

  public long newGeneration() {
    return newGeneration;
  }
}
