package org.olmo4j.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import org.olmo4j.config.ConfigException;
import org.olmo4j.config.DeviceKind;

/**
 * The device a worker computes on, from {@code cluster.device} and the worker's local index on
 * its node; the one place that knows which devices this libtorch has.
 */
public final class ComputeDevice {

  private ComputeDevice() {}

  /** The device of local worker {@code localIndex}, or one line saying why there is none. */
  public static Device of(DeviceKind kind, int localIndex) {
    if (kind == DeviceKind.CPU) {
      return Device.cpu();
    }
    Engine engine = Engine.getInstance();
    int gpus = engine.getGpuCount();
    if (gpus == 0) {
      throw new ConfigException("cluster.device = cuda, but this libtorch (" + engine.getEngineName()
          + " " + engine.getVersion() + ") is CPU-only: point DJL at a CUDA libtorch with "
          + "PYTORCH_LIBRARY_PATH, PYTORCH_VERSION and PYTORCH_FLAVOR (README: GPUs)");
    }
    if (localIndex >= gpus) {
      throw new ConfigException("cluster.device = cuda: local worker " + localIndex + " has no GPU ("
          + gpus + " visible); set cluster.workers_per_node to at most " + gpus);
    }
    // The step's flat vectors live in host memory and the exchange moves host buffers; the
    // device copy at the exchange edge is not written yet, so a GPU run would silently compute
    // on the CPU. Refuse instead.
    throw new ConfigException("cluster.device = cuda: " + gpus + " GPU(s) found, but olmo4j's "
        + "training step runs on the CPU so far (the device copies at the exchange edge are the "
        + "next step); use cluster.device = cpu");
  }
}
