package org.olmo4j.exchange;

import java.util.List;

/** The exchange contract for ranks that are threads of one JVM. */
class InProcessExchangeTest extends TensorExchangeContractTest {

  @Override
  protected List<TensorExchange> newWorld(int n, long generation, ExchangeOptions options) {
    return InProcessGroup.newWorld(n, generation, options).exchanges();
  }
}
