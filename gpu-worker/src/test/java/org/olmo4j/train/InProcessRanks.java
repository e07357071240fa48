package org.olmo4j.train;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.olmo4j.exchange.ExchangeOptions;
import org.olmo4j.exchange.InProcessGroup;
import org.olmo4j.exchange.TensorExchange;

/** Runs one task per rank of an in-process world, each on its own thread, side by side. */
final class InProcessRanks {

  /** A rank's work on its exchange. */
  interface RankTask<T> {
    T run(TensorExchange exchange) throws Exception;
  }

  private InProcessRanks() {}

  /** Every rank's result, in rank order (a rank's failure is thrown). */
  static <T> List<T> run(int ranks, RankTask<T> task) throws Exception {
    List<TensorExchange> world =
        InProcessGroup.newWorld(ranks, 1, ExchangeOptions.DEFAULTS).exchanges();
    ExecutorService pool = Executors.newFixedThreadPool(ranks);
    try {
      List<Future<T>> futures = new ArrayList<>();
      for (TensorExchange ex : world) {
        futures.add(pool.submit((Callable<T>) () -> task.run(ex)));
      }
      List<T> results = new ArrayList<>();
      for (Future<T> f : futures) {
        results.add(f.get());
      }
      return results;
    } finally {
      pool.shutdownNow();
      world.forEach(TensorExchange::close);
    }
  }
}
