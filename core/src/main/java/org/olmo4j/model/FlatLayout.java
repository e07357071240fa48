package org.olmo4j.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.olmo4j.config.ModelConfig;

/**
 * All parameters, in a fixed order, concatenated into one flat vector of Ψ elements.
 *
 * <p>Under SHARD_GRAD_OP rank r of N owns {@link ShardPlan#slice} r of N of it; {@link ShardPlan}
 * says what a rank owns under each strategy. Re-sharding to another N is re-slicing.
 */
public final class FlatLayout {

  /** A contiguous piece of one parameter inside a flat range. */
  public record Segment(ParamSpec param, long paramOffset, long flatOffset, long length) {}

  /** A half-open range {@code [start, end)} of the flat vector. */
  public record Range(long start, long end) {
    public long length() {
      return end - start;
    }
  }

  private final List<ParamSpec> params;
  private final long[] offsets;
  private final Map<String, Integer> index = new LinkedHashMap<>();
  private final long total;

  public FlatLayout(List<ParamSpec> params) {
    this.params = List.copyOf(params);
    this.offsets = new long[params.size()];
    long off = 0;
    for (int i = 0; i < params.size(); i++) {
      ParamSpec p = params.get(i);
      if (index.put(p.name(), i) != null) {
        throw new IllegalArgumentException("duplicate parameter name " + p.name());
      }
      offsets[i] = off;
      off += p.numel();
    }
    this.total = off;
  }

  /** The layout of the model {@code cfg} describes (its {@link Architecture}'s parameters). */
  public static FlatLayout of(ModelConfig cfg) {
    return Architecture.of(cfg).layout();
  }

  public List<ParamSpec> params() {
    return params;
  }

  /** Ψ: the number of elements of all parameters together. */
  public long totalElements() {
    return total;
  }

  public ParamSpec param(String name) {
    Integer i = index.get(name);
    if (i == null) {
      throw new IllegalArgumentException("no parameter named " + name);
    }
    return params.get(i);
  }

  public long offsetOf(String name) {
    param(name);
    return offsets[index.get(name)];
  }

  /** Elements per shard for a world of {@code worldSize} ranks (the padded shard size). */
  public long shardSize(int worldSize) {
    if (worldSize < 1) {
      throw new IllegalArgumentException("world size must be ≥ 1, got " + worldSize);
    }
    return (total + worldSize - 1) / worldSize;
  }

  /** The flat range rank {@code rank} owns in a world of {@code worldSize}; may be empty. */
  public Range shardRange(int rank, int worldSize) {
    if (rank < 0 || rank >= worldSize) {
      throw new IllegalArgumentException("rank " + rank + " outside world of " + worldSize);
    }
    return ShardPlan.slice(total, rank, worldSize);
  }

  /** The parameter pieces that make up {@code range}, in flat order. */
  public List<Segment> segments(Range range) {
    if (range.start() < 0 || range.end() > total || range.start() > range.end()) {
      throw new IllegalArgumentException("range " + range + " outside [0, " + total + ")");
    }
    List<Segment> out = new ArrayList<>();
    for (int i = 0; i < params.size(); i++) {
      long pStart = offsets[i];
      long pEnd = pStart + params.get(i).numel();
      long s = Math.max(pStart, range.start());
      long e = Math.min(pEnd, range.end());
      if (s < e) {
        out.add(new Segment(params.get(i), s - pStart, s, e - s));
      }
    }
    return Collections.unmodifiableList(out);
  }
}
