package org.olmo4j.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.olmo4j.config.DataConfig;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.data.BatchReader;
import org.olmo4j.data.EmbeddedCorpus;
import org.olmo4j.data.GlobalOrder;
import org.olmo4j.data.TokenDataset;

/**
 * The training data of a run: OLMo memmap files in a seeded global order. The batch of a step is
 * a pure function of (seed, epoch, global position), independent of the number of workers.
 */
public final class TrainData implements AutoCloseable {

  private final TokenDataset dataset;
  private final GlobalOrder order;
  private final BatchReader reader;
  private final int seqLen;

  private TrainData(TokenDataset dataset, GlobalOrder order, int seqLen) {
    this.dataset = dataset;
    this.order = order;
    this.reader = new BatchReader(dataset, order);
    this.seqLen = seqLen;
  }

  /** Opens {@code data.paths} (an {@code embedded:NAME} path is prepared on first use). */
  public static TrainData open(TrainConfig cfg) {
    DataConfig d = cfg.data();
    List<Path> files = resolve(d.paths());
    List<Path> masks = d.labelMaskPaths() == null ? null : resolve(d.labelMaskPaths());
    int seqLen = cfg.model().maxSequenceLength();
    TokenDataset ds = TokenDataset.open(files, d.memmapDtype(), seqLen, cfg.model().vocabSize(), masks);
    long seed = d.seed() != null ? d.seed() : cfg.seed();
    try {
      return new TrainData(ds, GlobalOrder.shuffled(ds.numInstances(), cfg.globalTrainBatchSize(), seed), seqLen);
    } catch (RuntimeException e) {
      ds.close();
      throw e;
    }
  }

  private static List<Path> resolve(List<String> paths) {
    List<Path> out = new ArrayList<>();
    EmbeddedCorpus corpus = null;
    for (String p : paths) {
      if (EmbeddedCorpus.isEmbedded(p)) {
        corpus = corpus != null ? corpus : EmbeddedCorpus.atDefaultCache();
        out.add(corpus.resolve(p));
      } else {
        out.add(Path.of(p));
      }
    }
    return out;
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
    long[] tokens = reader.flat(position, count);
    boolean[] mask = null;
    if (dataset.hasLabelMasks()) {
      mask = new boolean[tokens.length];
      reader.fillMask(position, count, mask);
    }
    return new Batch(tokens, mask, count, seqLen);
  }

  @Override
  public void close() {
    dataset.close();
  }
}
