package org.olmo4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parameters of a FULL_SHARD model, present one unit at a time.
 *
 * <p>A unit's parameter arrays exist only while the unit is bound: {@link #bind} makes fresh
 * arrays in the step's manager, views of the unit's gathered vector; {@link #unbind} closes them,
 * and their gradients with them unless {@link #holdGrads} holds those (take or hold them first). Blocks have identical shapes and compute in
 * two slot vectors owned here (block i in slot {@code i mod 2}): gathering block i into its slot
 * is a plain memory write, which autograd does not see, so a block recorded in the forward finds
 * its values again once it is gathered again before its backward (FSDP's free-after-forward and
 * re-gather-before-backward), while its arrays, and the graph that holds them, live on. The
 * embedding and the head have vectors of their own, bound while their unit is gathered.
 */
final class UnitParams implements AutoCloseable {

  private final List<Architecture.Unit> units;
  private final FlatLayout layout;
  private final Map<String, Integer> unitOf = new HashMap<>();
  private final FlatVector[] slotVectors = new FlatVector[2];
  /** What each unit's arrays view, or null while it has none. */
  private final FlatVector[] bound;
  /** Each unit's arrays by name, while bound. */
  private final List<Map<String, NDArray>> arrays = new ArrayList<>();

  UnitParams(Architecture arch) {
    this.units = arch.units();
    this.layout = arch.layout();
    this.bound = new FlatVector[units.size()];
    for (int u = 0; u < units.size(); u++) {
      arrays.add(new LinkedHashMap<>());
      for (String name : units.get(u).params()) {
        unitOf.put(name, u);
      }
    }
    int blocks = units.size() - 2;
    for (int s = 0; s < Math.min(2, blocks); s++) {
      long length = units.get(1 + s).range().length();
      if (length > FlatVector.SEGMENT_ELEMENTS) {
        // Block parameters must be views of their slot (see above): slot vectors stay within
        // one segment.
        throw new IllegalArgumentException(units.get(1 + s).label() + " has " + length
            + " parameters; a FULL_SHARD block holds at most " + FlatVector.SEGMENT_ELEMENTS);
      }
      slotVectors[s] = FlatVector.fp32(length);
    }
  }

  /** The array of parameter {@code name}, while its unit is bound. */
  NDArray param(String name) {
    Integer u = unitOf.get(name);
    if (u == null) {
      throw new IllegalArgumentException("no parameter named " + name);
    }
    NDArray a = arrays.get(u).get(name);
    if (a == null) {
      throw new IllegalStateException(name + " is used while " + units.get(u).label()
          + " is not gathered");
    }
    return a;
  }

  /** Every bound array. */
  List<NDArray> arrays() {
    List<NDArray> out = new ArrayList<>();
    arrays.forEach(m -> out.addAll(m.values()));
    return out;
  }

  /** A block's slot vector; the embedding's or head's bound vector (or null). */
  FlatVector vector(int u) {
    int block = units.get(u).block();
    return block >= 0 ? slotVectors[block % 2] : bound[u];
  }

  void bind(int u, FlatVector values, NDManager step) {
    Architecture.Unit unit = units.get(u);
    if (values.length() != unit.range().length() || !values.isFp32()) {
      throw new IllegalArgumentException(unit.label() + " has " + unit.range().length()
          + " fp32 elements, the vector " + values);
    }
    if (unit.block() >= 0 && values != slotVectors[unit.block() % 2]) {
      throw new IllegalArgumentException(unit.label() + " computes in slot "
          + unit.block() % 2 + "; write its values into unitVector(" + u + ")");
    }
    if (bound[u] == values) {
      return;
    }
    unbind(u);
    long at = 0;
    for (String name : unit.params()) {
      ParamSpec spec = layout.param(name);
      int n = Math.toIntExact(spec.numel());
      NDArray a;
      if (values.contiguous(at) >= n) {
        // A leaf whose storage is the vector's memory (no copy): a later gather into a block's
        // slot is what the array holds.
        a = step.create(values.view(at, n), new Shape(spec.shape()), DataType.FLOAT32);
      } else {
        // A parameter across the vector's 1 GiB segments (an embedding of more than 2^28
        // elements): a copy, which only the embedding and head units need (their values do not
        // change while they are bound).
        float[] copy = new float[n];
        values.get(at, copy, 0, n);
        ByteBuffer aligned = AlignedBuffer.allocate(n * Float.BYTES).memory();
        aligned.asFloatBuffer().put(copy);
        a = step.create(aligned, new Shape(spec.shape()), DataType.FLOAT32);
      }
      a.setName(name);
      a.setRequiresGradient(true);
      arrays.get(u).put(name, a);
      at += n;
    }
    bound[u] = values;
  }

  /**
   * Closes unit {@code u}'s arrays and the gradients not held ({@link #holdGrads}); its vector is
   * the caller's to free.
   */
  void unbind(int u) {
    for (NDArray a : arrays.get(u).values()) {
      a.close();
    }
    arrays.get(u).clear();
    bound[u] = null;
  }

  void takeGrads(int u, FlatVector dst) {
    moveGrads(u, dst, false);
  }

  /** As {@link #takeGrads}, adding them to {@code dst}. */
  void addGrads(int u, FlatVector dst) {
    moveGrads(u, dst, true);
  }

  /**
   * Unit {@code u}'s gradients in autograd's memory, held past the unit's {@link #unbind} (and
   * its step scope) until the result is closed.
   */
  HeldGradients holdGrads(int u) {
    List<String> names = units.get(u).params();
    List<NDArray> held = new ArrayList<>(names.size());
    ByteBuffer[] parts = new ByteBuffer[names.size()];
    try {
      for (int i = 0; i < parts.length; i++) {
        NDArray p = param(names.get(i));
        NDArray g = p.getGradient();
        // Neither the step's scope nor an NDScope closing may free what a reduction still reads.
        g.detach();
        NDScope.unregister(g);
        held.add(g);
        if (g.getDevice().isGpu()) {
          // toByteBuffer would view a host copy, freed with the step's scope.
          throw new IllegalStateException("the gradient of " + names.get(i) + " is on "
              + g.getDevice() + "; FULL_SHARD reduce-scatters gradients in host memory");
        }
        // A leaf's gradient has its parameter's (contiguous) layout, so this views g itself.
        parts[i] = g.toByteBuffer(true).order(ByteOrder.nativeOrder());
        if (parts[i].remaining() != p.size() * Float.BYTES) {
          throw new IllegalStateException("the gradient of " + names.get(i) + " has "
              + parts[i].remaining() + " bytes in place, not " + p.size() * Float.BYTES);
        }
      }
      return new HeldGradients(held, FlatVector.viewing(parts));
    } catch (RuntimeException e) {
      held.forEach(NDArray::close);
      throw e;
    }
  }

  private void moveGrads(int u, FlatVector dst, boolean add) {
    Architecture.Unit unit = units.get(u);
    if (dst.length() != unit.range().length()) {
      throw new IllegalArgumentException(unit.label() + " has " + unit.range().length()
          + " elements, the gradient vector " + dst.length());
    }
    long at = 0;
    for (String name : unit.params()) {
      NDArray p = param(name);
      try (NDArray g = p.getGradient()) {
        // The gradient's own memory (no copy into a Java buffer first), read before g closes.
        ByteBuffer b = g.toByteBuffer(true).order(ByteOrder.nativeOrder());
        if (add) {
          dst.add(at, b);
        } else {
          dst.put(at, b);
        }
      }
      at += p.size();
    }
  }

  @Override
  public void close() {
    for (FlatVector v : slotVectors) {
      if (v != null) {
        v.close();
      }
    }
  }
}
