package org.olmo4j.worker;

import org.olmo4j.exchange.TensorExchange;
import org.olmo4j.model.FlatVector;
import org.olmo4j.train.Collectives;

/** A step's collectives handed to a rank's exchange as they are: tests override those they watch. */
class ExchangeCollectives implements Collectives {

  final TensorExchange exchange;

  ExchangeCollectives(TensorExchange exchange) {
    this.exchange = exchange;
  }

  @Override
  public int rank() {
    return exchange.rank();
  }

  @Override
  public int worldSize() {
    return exchange.worldSize();
  }

  @Override
  public void reduceScatter(FlatVector full, float[] myShard) {
    exchange.reduceScatter(full, myShard);
  }

  @Override
  public void reduceScatterAdd(FlatVector full, float[] acc, int at) {
    exchange.reduceScatterAdd(full, acc, at);
  }

  @Override
  public void allGatherInPlace(FlatVector full) {
    exchange.allGatherInPlace(full);
  }

  @Override
  public double[] allReduceSum(double[] values) {
    return exchange.allReduceSum(values);
  }
}
