package org.olmo4j.eval;

/**
 * One scoring request: the summed log-probability of {@code tokens[contextLength..]} given
 * {@code tokens[..contextLength)} (one forward pass over {@code tokens[..length-1)}).
 */
public record EvalRequest(long[] tokens, int contextLength) {

  public EvalRequest {
    if (contextLength < 1 || contextLength >= tokens.length) {
      throw new IllegalArgumentException("a request needs 1 ≤ context length < " + tokens.length
          + " tokens, got " + contextLength);
    }
  }

  /** The tokens whose log-probabilities are summed. */
  public int continuationTokens() {
    return tokens.length - contextLength;
  }

  /** Length of the forward pass's input (the last token is only a target). */
  public int inputLength() {
    return tokens.length - 1;
  }
}
