package org.olmo4j.train;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.olmo4j.model.Architecture;
import org.olmo4j.model.FlatVector;
import org.olmo4j.model.OlmoModel;
import org.olmo4j.model.ShardPlan;
import org.olmo4j.optim.AdamWShard;

/**
 * Which units of a {@link FullShardStep} are present: each unit's all-gather, in flight or done,
 * on the collectives thread; which block each of the two slots holds (block i computes in slot i
 * mod 2, so gathering a block overwrites the one two before it); and a tied table gathered for
 * the head in parts ({@link PartedGather}). Called on the computing thread.
 */
final class UnitGathers {

  private final OlmoModel model;
  private final List<Architecture.Unit> units;
  private final ShardPlan plan;
  private final CollectivesThread comm;
  private final UnitCollectives collectives;
  private final AdamWShard optimizer;
  /** Per unit: the gather in flight or done, null when the unit's values are not present. */
  private final Future<FlatVector>[] gathers;
  /** Per slot: the block whose values it holds (or is being gathered), -1 for none. */
  private final int[] slotHolder = {-1, -1};
  /** A tied table gathered for the head in parts, when the embedding is looked up sharded. */
  private final PartedGather table;

  @SuppressWarnings("unchecked")
  UnitGathers(OlmoModel model, ShardPlan plan, CollectivesThread comm,
      UnitCollectives collectives, AdamWShard optimizer) {
    this.model = model;
    this.units = model.architecture().units();
    this.plan = plan;
    this.comm = comm;
    this.collectives = collectives;
    this.optimizer = optimizer;
    this.gathers = new Future[units.size()];
    this.table = new PartedGather(comm, collectives, optimizer::master,
        units.get(0).range().length(), Math.toIntExact(plan.unitOffset(0)),
        Math.max(1, model.architecture().config().nLayers()));
  }

  /** Issues unit {@code u}'s all-gather unless its values are present or on their way. */
  void prefetch(int u) {
    Architecture.Unit unit = units.get(u);
    if (gathers[u] != null || unit.range().length() == 0) {
      return;
    }
    FlatVector target;
    if (unit.block() >= 0) {
      int slot = unit.block() % 2;
      int previous = slotHolder[slot];
      if (previous >= 0) {
        gathers[1 + previous] = null; // its values are about to be overwritten
      }
      slotHolder[slot] = unit.block();
      target = model.unitVector(u);
    } else {
      target = null; // allocated on the collectives thread
    }
    long length = unit.range().length();
    int from = Math.toIntExact(plan.unitOffset(u));
    gathers[u] = comm.submit(() -> {
      FlatVector v = target != null ? target : FlatVector.fp32(length);
      collectives.gather(v, optimizer.master(), from);
      return v;
    });
    if (unit.block() >= 0 && table.pending()) {
      gathers[0] = table.next();
    }
  }

  /**
   * A tied table's gather for the head, unless it is present: its first part now, one behind
   * each later block's gather, the rest when the head needs it.
   */
  void startTable() {
    if (gathers[0] == null) {
      gathers[0] = table.start();
    }
  }

  /** Waits for unit {@code u}'s values (gathering them now if not prefetched) and binds them. */
  void present(int u) {
    if (units.get(u).range().length() == 0) {
      return;
    }
    if (u == 0 && table.pending()) {
      gathers[0] = table.rest();
    }
    prefetch(u);
    model.bindUnit(u, comm.await(gathers[u]));
  }

  /** Frees the embedding's or head's gathered vector. */
  void release(int u) {
    Future<FlatVector> g = gathers[u];
    gathers[u] = null;
    try {
      if (g != null) {
        model.unbindUnit(u);
        comm.await(g).close(); // a table's last part issued: the parts run in order
      }
    } finally {
      if (u == 0) {
        table.forget();
      }
    }
  }

  /**
   * After a failure, once the reductions not yet started are cancelled: cancels the gathers not
   * yet started, waits for the one running (the exchange fails it fast when it is closed or
   * aborted), frees what they held and forgets every unit; their errors join {@code cause}.
   */
  void abandon(Throwable cause) {
    Arrays.stream(gathers).filter(Objects::nonNull).forEach(g -> g.cancel(false));
    if (table.abandon(cause)) {
      gathers[0] = null; // its vector is freed
    }
    for (int u = 0; u < gathers.length; u++) {
      Future<FlatVector> g = gathers[u];
      gathers[u] = null;
      model.unbindUnit(u);
      if (g != null && units.get(u).block() < 0 && !g.isCancelled()) {
        try {
          g.get(30, TimeUnit.SECONDS).close();
        } catch (Exception e) {
          cause.addSuppressed(e);
        }
      }
    }
    Arrays.fill(slotHolder, -1);
  }

  /** At the end of a step (and before the next): no unit is present (slots will be refilled). */
  void forget() {
    for (int u = 0; u < gathers.length; u++) {
      if (gathers[u] != null && units.get(u).block() < 0) {
        release(u);
      }
      model.unbindUnit(u);
      gathers[u] = null;
    }
    Arrays.fill(slotHolder, -1);
  }
}
