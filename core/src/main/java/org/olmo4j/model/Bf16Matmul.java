package org.olmo4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/** A bf16 matrix product of fp32 operands (fp32 result), for measuring the bf16 matmul peak. */
public final class Bf16Matmul implements AutoCloseable {

  private final PtSymbolBlock module;
  private final NDManager owner;

  public Bf16Matmul(NDManager owner) {
    this.owner = owner;
    byte[] archive = ScriptArchive.write("Bf16Matmul",
        ScriptArchive.source("bf16_matmul.py"), Map.of());
    try {
      this.module = JniUtils.loadModule((PtNDManager) owner, new ByteArrayInputStream(archive),
          false, false);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load the bf16 matmul TorchScript module", e);
    }
  }

  /** {@code a·b} computed in bf16, returned in fp32, in {@code a}'s manager. */
  public NDArray apply(NDArray a, NDArray b) {
    return module.forward(new ParameterStore(owner, false), new NDList(a, b), false)
        .singletonOrThrow();
  }

  @Override
  public void close() {
    module.close();
  }
}
