package org.olmo4j.train;

import java.nio.file.Path;
import java.util.List;
import org.olmo4j.config.DataConfig;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.data.BatchReader;
import org.olmo4j.data.DataException;
import org.olmo4j.data.DataPaths;
import org.olmo4j.data.DataSignature;
import org.olmo4j.data.GlobalOrder;
import org.olmo4j.data.InstanceFilter;
import org.olmo4j.data.TokenDataset;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training data of a run: OLMo memmap files in a seeded global order. The batch of a step is
 * a pure function of (seed, epoch, global position), independent of the number of workers; so is
 * the instance filter's mask of it ({@code data.instance_filter}).
 */
public final class TrainData implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(TrainData.class);

  private final TokenDataset dataset;
  private final GlobalOrder order;
  private final BatchReader reader;
  private final int seqLen;
  /** Null when {@code data.instance_filter} is off. */
  private final InstanceFilter filter;
  private final DataSignature signature;

  private TrainData(TokenDataset dataset, GlobalOrder order, int seqLen, InstanceFilter filter,
      DataSignature signature) {
    this.signature = signature;
    this.dataset = dataset;
    this.order = order;
    this.reader = new BatchReader(dataset, order);
    this.seqLen = seqLen;
    this.filter = filter;
  }

  /**
   * Opens {@code data.paths} (an {@code embedded:NAME} path is prepared on first use, an
   * {@code http(s)://} one downloaded into the cache: see {@link DataPaths}).
   */
  public static TrainData open(TrainConfig cfg) {
    DataConfig d = cfg.data();
    DataPaths paths = DataPaths.of(d);
    List<Path> files = paths.resolveAll(d.paths());
    List<Path> masks = d.labelMaskPaths() == null ? null : paths.resolveAll(d.labelMaskPaths());
    int seqLen = cfg.model().maxSequenceLength();
    TokenDataset ds = TokenDataset.open(files, d.memmapDtype(), seqLen, cfg.model().vocabSize(), masks);
    long seed = d.seed() != null ? d.seed() : cfg.seed();
    try {
      InstanceFilter filter = d.instanceFilter() == null ? null : new InstanceFilter(d.instanceFilter());
      if (filter != null) {
        LOG.info("instance filter on: instances repeating a sequence of period {}..{} {} times or "
            + "more are masked out of the loss", d.instanceFilter().repetitionMinPeriod(),
            d.instanceFilter().repetitionMaxPeriod(), d.instanceFilter().repetitionMaxCount());
      }
      return new TrainData(ds, GlobalOrder.shuffled(ds.numInstances(), cfg.globalTrainBatchSize(), seed),
          seqLen, filter, DataSignature.of(files, d.memmapDtype(), seqLen, seed));
    } catch (RuntimeException e) {
      ds.close();
      throw e;
    }
  }

  /** What a data position of this run means: checkpoints record it, resumes check it. */
  public DataSignature signature() {
    return signature;
  }

  public long stepsPerEpoch() {
    return order.stepsPerEpoch();
  }

  public long epochOf(long position) {
    return order.epochOf(position);
  }

  public long numInstances() {
    return dataset.numInstances();
  }

  /** The {@code count} instances at global positions {@code [position, position + count)}. */
  public Batch batch(long position, int count) {
    try {
      return read(position, count);
    } catch (InternalError e) {
      // A fault on a mapped page surfaced after the read that hit it (the JVM may report it
      // late): name the damaged file if it is one that shrank.
      dataset.checkIntact();
      throw new DataException("reading the training data at global position " + position
          + " failed: " + e.getMessage(), e);
    }
  }

  private Batch read(long position, int count) {
    long[] tokens = reader.flat(position, count);
    boolean[] mask = null;
    if (dataset.hasLabelMasks()) {
      mask = new boolean[tokens.length];
      reader.fillMask(position, count, mask);
    }
    boolean[] instances = null;
    if (filter != null) {
      instances = new boolean[count];
      for (int i = 0; i < count; i++) {
        instances[i] = filter.keeps(tokens, i * seqLen, seqLen);
      }
    }
    return new Batch(tokens, mask, count, seqLen, instances);
  }

  @Override
  public void close() {
    dataset.close();
  }
}
