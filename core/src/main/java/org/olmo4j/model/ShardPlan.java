package org.olmo4j.model;

import java.util.ArrayList;
import java.util.List;
import org.olmo4j.config.ShardingStrategy;

/**
 * Which flat elements a rank owns: the one place of shard arithmetic.
 *
 * <p>Every split is the even split of {@link #slice}: part r of N of a vector of L elements is
 * {@code [r·S, min((r+1)·S, L))} with {@code S = ceil(L/N)}, so the last parts may be short or
 * empty (that is the padding). {@code SHARD_GRAD_OP} splits the whole flat vector, so a rank owns
 * one range. {@code FULL_SHARD} splits every unit of the {@link Architecture} (embedding, each
 * block, head) on its own, as FSDP shards each wrapped module's flat parameter: a rank owns one
 * piece of each unit, and the collectives of a unit are the collectives of a vector of the
 * unit's length. A rank's shard arrays (master, moments, gradient) are its pieces concatenated
 * in flat order. Re-sharding to another N or strategy is re-slicing by flat index.
 */
public final class ShardPlan {

  private final List<FlatLayout.Range> pieces;
  /** Where each unit's piece starts in the rank's shard arrays (FULL_SHARD), or null. */
  private final long[] unitOffsets;
  private final long length;

  private ShardPlan(List<FlatLayout.Range> pieces, long[] unitOffsets) {
    this.pieces = List.copyOf(pieces);
    this.unitOffsets = unitOffsets;
    this.length = pieces.stream().mapToLong(FlatLayout.Range::length).sum();
  }

  /** Part {@code part} of {@code parts} of a vector of {@code length} elements; may be empty. */
  public static FlatLayout.Range slice(long length, int part, int parts) {
    if (parts < 1 || part < 0 || part >= parts) {
      throw new IllegalArgumentException("part " + part + " outside a split into " + parts);
    }
    long size = (length + parts - 1) / parts;
    long start = Math.min(length, part * size);
    return new FlatLayout.Range(start, Math.min(length, start + size));
  }

  /** The shard of {@code rank} in a world of {@code worldSize} under {@code strategy}. */
  public static ShardPlan of(Architecture arch, ShardingStrategy strategy, int rank,
      int worldSize) {
    if (!strategy.shardsParameters()) {
      return new ShardPlan(List.of(slice(arch.layout().totalElements(), rank, worldSize)), null);
    }
    List<Architecture.Unit> units = arch.units();
    List<FlatLayout.Range> pieces = new ArrayList<>();
    long[] offsets = new long[units.size()];
    long at = 0;
    for (int u = 0; u < units.size(); u++) {
      FlatLayout.Range unit = units.get(u).range();
      FlatLayout.Range mine = slice(unit.length(), rank, worldSize);
      offsets[u] = at;
      at += mine.length();
      if (mine.length() > 0) {
        pieces.add(new FlatLayout.Range(unit.start() + mine.start(), unit.start() + mine.end()));
      }
    }
    return new ShardPlan(pieces, offsets);
  }

  /** A plan of given pieces (e.g. as a checkpoint's manifest lists them). */
  public static ShardPlan ofPieces(List<FlatLayout.Range> pieces) {
    return new ShardPlan(pieces, null);
  }

  /** The flat ranges this rank owns, in flat order. */
  public List<FlatLayout.Range> pieces() {
    return pieces;
  }

  /** Elements of the shard: the pieces together. */
  public long length() {
    return length;
  }

  /** Where unit {@code u}'s piece starts in the shard arrays (FULL_SHARD plans only). */
  public long unitOffset(int u) {
    if (unitOffsets == null) {
      throw new IllegalStateException("this plan does not split by unit");
    }
    return unitOffsets[u];
  }

  /** Whether the plan splits by unit (FULL_SHARD), not the whole vector. */
  public boolean byUnit() {
    return unitOffsets != null;
  }

  @Override
  public String toString() {
    return pieces.size() == 1 ? pieces.get(0).toString() : pieces.size() + " pieces, " + length
        + " elements";
  }
}
