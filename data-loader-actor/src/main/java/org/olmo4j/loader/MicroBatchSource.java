package org.olmo4j.loader;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Source;
import org.olmo4j.data.DataException;
import org.olmo4j.train.TrainData;

/**
 * The infinite stream of one rank's micro-batches, step after step. Each step is read as a whole on
 * the read executor; at most {@code prefetchSteps} steps are read ahead of the step being emitted
 * (one in the read stage, the rest buffered), so a consumer that stops pulling stops the reads.
 * A step whose data cannot be read ends the stream with an {@link MicroBatch#unreadable} element.
 */
final class MicroBatchSource {

  private MicroBatchSource() {}

  static Source<MicroBatch, NotUsed> of(TrainData data, RankShare share, int prefetchSteps,
      Executor readExecutor, LongAdder stepsRead) {
    if (prefetchSteps < 1) {
      throw new IllegalArgumentException("olmo4j.data-loader.prefetch-steps must be >= 1, got " + prefetchSteps);
    }
    Source<List<MicroBatch>, NotUsed> steps =
        Source.unfold(share.fromStep(), s -> Optional.of(Pair.create(s + 1, s)))
            .mapAsync(1, step -> read(data, share, step, readExecutor, stepsRead))
            // The steps read before an unreadable one still reach the rank, then the reason.
            .takeWhile(micro -> micro.get(0).readable(), true);
    if (prefetchSteps > 1) {
      steps = steps.buffer(prefetchSteps - 1, OverflowStrategy.backpressure());
    }
    return steps.mapConcat(micro -> micro);
  }

  /** Reads one step on the read executor; a failure completes the future as is (no wrapper). */
  private static CompletableFuture<List<MicroBatch>> read(TrainData data, RankShare share, long step,
      Executor readExecutor, LongAdder stepsRead) {
    CompletableFuture<List<MicroBatch>> micro = new CompletableFuture<>();
    readExecutor.execute(() -> {
      try {
        List<MicroBatch> read = share.read(data, step);
        stepsRead.increment();
        micro.complete(read);
      } catch (DataException e) {
        // A data file became unreadable (truncated, replaced, a disk error): the rank learns it
        // one step ahead and can have every rank checkpoint the last step it completed.
        micro.complete(List.of(MicroBatch.unreadable(step, e.getMessage())));
      } catch (Throwable e) { // anything left uncompleted would hang the stream
        micro.completeExceptionally(e);
      }
    });
    return micro;
  }
}
