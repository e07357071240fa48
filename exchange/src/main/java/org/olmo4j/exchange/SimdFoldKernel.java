package org.olmo4j.exchange;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link FoldKernel} with SIMD loads straight from the direct buffers: no staging copy of the
 * payload or of the own contribution. Loaded only when jdk.incubator.vector is in the boot layer.
 */
final class SimdFoldKernel extends FoldKernel {

  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

  @Override
  void fold(float[] shard, int at, ByteBuffer payload, int payloadAt, ByteBuffer own,
      boolean ownBefore, boolean first, int n) {
    if (first && own == null) {
      payload.asFloatBuffer().get(payloadAt / Float.BYTES, shard, at, n);
      return;
    }
    int step = S.length();
    int bound = n - n % step;
    int i = 0;
    if (own == null) {
      for (; i < bound; i += step) {
        FloatVector x = FloatVector.fromByteBuffer(S, payload, payloadAt + i * 4, LE);
        FloatVector.fromArray(S, shard, at + i).add(x).intoArray(shard, at + i);
      }
      for (; i < n; i++) {
        shard[at + i] += payload.getFloat(payloadAt + i * 4);
      }
    } else if (first) {
      for (; i < bound; i += step) {
        FloatVector x = FloatVector.fromByteBuffer(S, payload, payloadAt + i * 4, LE);
        FloatVector o = FloatVector.fromByteBuffer(S, own, i * 4, LE);
        o.add(x).intoArray(shard, at + i);
      }
      for (; i < n; i++) {
        shard[at + i] = own.getFloat(i * 4) + payload.getFloat(payloadAt + i * 4);
      }
    } else if (ownBefore) {
      for (; i < bound; i += step) {
        FloatVector x = FloatVector.fromByteBuffer(S, payload, payloadAt + i * 4, LE);
        FloatVector o = FloatVector.fromByteBuffer(S, own, i * 4, LE);
        FloatVector.fromArray(S, shard, at + i).add(o).add(x).intoArray(shard, at + i);
      }
      for (; i < n; i++) {
        shard[at + i] = (shard[at + i] + own.getFloat(i * 4)) + payload.getFloat(payloadAt + i * 4);
      }
    } else {
      for (; i < bound; i += step) {
        FloatVector x = FloatVector.fromByteBuffer(S, payload, payloadAt + i * 4, LE);
        FloatVector o = FloatVector.fromByteBuffer(S, own, i * 4, LE);
        FloatVector.fromArray(S, shard, at + i).add(x).add(o).intoArray(shard, at + i);
      }
      for (; i < n; i++) {
        shard[at + i] = (shard[at + i] + payload.getFloat(payloadAt + i * 4)) + own.getFloat(i * 4);
      }
    }
  }

  @Override
  void foldAdd(float[] acc, int at, ByteBuffer payload, int payloadAt, ByteBuffer own, int n) {
    int step = S.length();
    int bound = n - n % step;
    int i = 0;
    for (; i < bound; i += step) {
      FloatVector x = FloatVector.fromByteBuffer(S, payload, payloadAt + i * 4, LE);
      FloatVector o = FloatVector.fromByteBuffer(S, own, i * 4, LE);
      FloatVector.fromArray(S, acc, at + i).add(o.add(x)).intoArray(acc, at + i);
    }
    for (; i < n; i++) {
      acc[at + i] += own.getFloat(i * 4) + payload.getFloat(payloadAt + i * 4);
    }
  }

  @Override
  String name() {
    return "SIMD " + S.vectorBitSize() + "-bit (jdk.incubator.vector)";
  }
}
