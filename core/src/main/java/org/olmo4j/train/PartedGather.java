package org.olmo4j.train;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.olmo4j.model.FlatVector;

/**
 * A unit gathered in parts ({@link UnitCollectives#gatherPart}), issued one at a time between
 * other collectives: a tied table gathered for the head while the embedding is looked up without
 * it ({@link ShardedLookup}) goes in as many parts as there are blocks, one behind each block's
 * gather, so that no block's gather waits behind the whole table (on olmo-tiny under amp_bf16 the
 * table's 26 MB took 69 ms, twice a block's forward, and delayed block 1's gather by up to 27 ms).
 *
 * <p>The parts run in order on the collectives thread, so the last one issued ends after all of
 * them; each part's future gives the vector, which the first part allocates on that thread.
 */
final class PartedGather {

  private final CollectivesThread comm;
  private final UnitCollectives collectives;
  private final Supplier<float[]> master;
  private final long length;
  private final int from;
  private final int parts;
  private int left;
  private final List<Future<FlatVector>> issued = new ArrayList<>();
  private final FlatVector[] vector = new FlatVector[1];

  /** The unit of {@code length} elements whose piece is {@code master[from ..]}, in {@code parts}. */
  PartedGather(CollectivesThread comm, UnitCollectives collectives, Supplier<float[]> master,
      long length, int from, int parts) {
    this.comm = comm;
    this.collectives = collectives;
    this.master = master;
    this.length = length;
    this.from = from;
    this.parts = parts;
  }

  /** Issues the first part; the future of the last part issued. */
  Future<FlatVector> start() {
    left = parts;
    issued.clear();
    return next();
  }

  /** Whether parts are left to issue. */
  boolean pending() {
    return left > 0;
  }

  /** Issues the next part; its future. */
  Future<FlatVector> next() {
    int part = parts - left--;
    Future<FlatVector> f = comm.submit(() -> {
      if (part == 0) {
        vector[0] = FlatVector.fp32(length);
      }
      collectives.gatherPart(vector[0], master.get(), from, part, parts);
      return vector[0];
    });
    issued.add(f);
    return f;
  }

  /** Issues every part left; the last one's future (the whole vector's). */
  Future<FlatVector> rest() {
    while (left > 0) {
      next();
    }
    return issued.get(issued.size() - 1);
  }

  /** Once the vector is released (its last part awaited): nothing is left to issue or free. */
  void forget() {
    left = 0;
    issued.clear();
    vector[0] = null;
  }

  /**
   * After a failure: cancels the parts not started, waits for those that did, and frees their
   * vector; errors join {@code cause}. Whether a gather was under way (its future is void now).
   */
  boolean abandon(Throwable cause) {
    if (issued.isEmpty()) {
      return false;
    }
    issued.forEach(g -> g.cancel(false));
    for (Future<FlatVector> g : issued) {
      try {
        if (!g.isCancelled()) {
          g.get(30, TimeUnit.SECONDS);
        }
      } catch (Exception e) {
        cause.addSuppressed(e);
      }
    }
    if (vector[0] != null) {
      vector[0].close();
    }
    forget();
    return true;
  }
}
