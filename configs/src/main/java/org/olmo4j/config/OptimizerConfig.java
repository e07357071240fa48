package org.olmo4j.config;

import java.util.List;

/** OLMo's {@code OptimizerConfig}: AdamW with two parameter groups (decay / no decay). */
public record OptimizerConfig(
    OptimizerName name,
    double learningRate,
    double weightDecay,
    List<Double> betas,
    double eps,
    boolean decayNormAndBias,
    boolean decayEmbeddings) {

  public double beta1() {
    return betas.get(0);
  }

  public double beta2() {
    return betas.get(1);
  }
}
