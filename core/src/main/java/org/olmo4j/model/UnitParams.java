package org.olmo4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parameters of a FULL_SHARD model, present one unit at a time.
 *
 * <p>Blocks have identical shapes, so two sets of block parameter arrays serve every block:
 * block i computes with slot {@code i mod 2}, whose arrays are views of that slot's vector for
 * the model's life. Gathering block i's values into the slot vector (a plain memory write, which
 * autograd does not see) makes the arrays block i; a block recorded in the forward finds its
 * values there again because its unit is gathered again before its backward, exactly FSDP's
 * free-after-forward / re-gather-before-backward. Sharing arrays also shares gradients: a
 * block's gradients are taken (copied out and zeroed) right after its backward, before the
 * block two below it runs its own.
 *
 * <p>The embedding and the head get fresh arrays, views of their gathered vector, in the step's
 * manager each time their unit is gathered ({@link #bind}), closed when it is released ({@link
 * #unbind}): their gradients go with them. Their values are never needed by a recorded graph after
 * the unit is released (the embedding is recomputed for its backward; the head runs forward and
 * backward together).
 */
final class UnitParams implements AutoCloseable {

  private final List<Architecture.Unit> units;
  private final int blocks;
  /** Slot s: block-parameter suffix (e.g. {@code mlp.up_proj.weight}) → array. */
  private final List<Map<String, NDArray>> slots = new ArrayList<>();
  private final FlatVector[] slotVectors = new FlatVector[2];
  /** Embedding and head parameters by name, while their unit is bound. */
  private final Map<String, NDArray> own = new LinkedHashMap<>();
  /** What each unit's arrays view now (blocks: their slot's vector). */
  private final FlatVector[] bound;
  private final List<NDArray> slotArrays = new ArrayList<>();
  private final FlatLayout layout;

  UnitParams(Architecture arch, NDManager manager) {
    this.units = arch.units();
    this.blocks = arch.blocks().size();
    this.layout = arch.layout();
    this.bound = new FlatVector[units.size()];
    for (int s = 0; s < Math.min(2, blocks); s++) {
      Architecture.Unit template = units.get(1 + s);
      FlatVector v = FlatVector.fp32(template.range().length());
      slotVectors[s] = v;
      Map<String, NDArray> arrays = new LinkedHashMap<>();
      for (String name : template.params()) {
        NDArray a = OlmoModel.newParam(layout.param(name), manager, DataType.FLOAT32);
        arrays.put(suffix(name), a);
        slotArrays.add(a);
      }
      slots.add(arrays);
      viewsOf(new ArrayList<>(arrays.values()), v);
    }
    for (int b = 0; b < blocks; b++) {
      bound[1 + b] = slotVectors[b % 2];
    }
  }

  /** The array for parameter {@code name}: block i's are slot {@code i mod 2}'s. */
  NDArray param(String name) {
    NDArray a = own.get(name);
    if (a != null) {
      return a;
    }
    if (name.startsWith("model.layers.")) {
      int dot = name.indexOf('.', "model.layers.".length());
      int layer = Integer.parseInt(name.substring("model.layers.".length(), dot));
      a = layer < blocks ? slots.get(layer % 2).get(name.substring(dot + 1)) : null;
    }
    if (a == null) {
      if (units.get(0).params().contains(name) || units.get(units.size() - 1).params().contains(name)) {
        throw new IllegalStateException(name + " is used while its unit is not gathered");
      }
      throw new IllegalArgumentException("no parameter named " + name);
    }
    return a;
  }

  /** The slot arrays and the embedding / head arrays bound now. */
  List<NDArray> arrays() {
    List<NDArray> out = new ArrayList<>(slotArrays);
    out.addAll(own.values());
    return out;
  }

  FlatVector vector(int u) {
    return bound[u];
  }

  void bind(int u, FlatVector values, NDManager step) {
    Architecture.Unit unit = units.get(u);
    if (values.length() != unit.range().length() || !values.isFp32()) {
      throw new IllegalArgumentException(unit.label() + " has " + unit.range().length()
          + " fp32 elements, the vector " + values);
    }
    if (unit.block() >= 0) {
      if (values != slotVectors[unit.block() % 2]) {
        throw new IllegalArgumentException(unit.label() + " computes in slot "
            + unit.block() % 2 + "; write its values into unitVector(" + u + ")");
      }
      return;
    }
    if (bound[u] == values) {
      return;
    }
    unbind(u);
    List<NDArray> fresh = new ArrayList<>();
    for (String name : unit.params()) {
      NDArray a = OlmoModel.newParam(layout.param(name), step, DataType.FLOAT32);
      own.put(name, a);
      fresh.add(a);
    }
    // Pointing a new leaf at memory is not an autograd operation.
    boolean before = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      viewsOf(fresh, values);
    } finally {
      JniUtils.setGradMode(before);
    }
    bound[u] = values;
  }

  /**
   * Closes the embedding's / head's arrays and their gradients (take those first); the caller
   * frees the vector next.
   */
  void unbind(int u) {
    if (units.get(u).block() >= 0 || bound[u] == null) {
      return;
    }
    for (String name : units.get(u).params()) {
      NDArray a = own.remove(name);
      if (a != null) {
        a.close();
      }
    }
    bound[u] = null;
  }

  void takeGrads(int u, FlatVector dst) {
    Architecture.Unit unit = units.get(u);
    if (dst.length() != unit.range().length()) {
      throw new IllegalArgumentException(unit.label() + " has " + unit.range().length()
          + " elements, the gradient vector " + dst.length());
    }
    long at = 0;
    for (String name : unit.params()) {
      NDArray p = param(name);
      try (NDArray g = p.getGradient()) {
        dst.put(at, g.toByteBuffer().order(ByteOrder.nativeOrder()));
      }
      JniUtils.zeroGrad((PtNDArray) p);
      at += p.size();
    }
  }

  private static void viewsOf(List<NDArray> arrays, FlatVector v) {
    long at = 0;
    for (NDArray a : arrays) {
      int n = Math.toIntExact(a.size());
      a.set(v.view(at, n));
      at += n;
    }
  }

  private static String suffix(String blockParam) {
    int dot = blockParam.indexOf('.', "model.layers.".length());
    return blockParam.substring(dot + 1);
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
