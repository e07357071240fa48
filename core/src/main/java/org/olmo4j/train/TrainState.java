package org.olmo4j.train;

/**
 * Where the run is: the trainer's part of a checkpoint (OLMo's trainer state).
 *
 * @param step optimizer steps completed
 * @param tokensSeen tokens consumed so far
 * @param dataPosition global examples seen: the next batch starts at this position of the global order
 */
public record TrainState(long step, long tokensSeen, long dataPosition) {

  public static TrainState start() {
    return new TrainState(0, 0, 0);
  }

  public TrainState advance(long tokens, long examples) {
    return new TrainState(step + 1, tokensSeen + tokens, dataPosition + examples);
  }
}
