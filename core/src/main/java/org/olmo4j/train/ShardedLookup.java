package org.olmo4j.train;

import org.olmo4j.io.Bf16;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.model.FlatVector;

/**
 * The embedding's lookup of a FULL_SHARD step without gathering the table: a vocabulary-parallel
 * embedding (as Megatron-LM's) over the shard group.
 *
 * <p>Forward: the group's ranks all-gather their micro-batches' token ids; each rank copies, for
 * every one of those tokens, the part of its row that lies in its own piece of the table (rounded
 * to bf16 under amp_bf16, as a bf16 gather would give it), leaving the rest zero; a
 * reduce-scatter of these partial rows gives each rank its own tokens' embeddings. Every element
 * comes from exactly one rank and is added to zeros, so this is the lookup itself, bit for bit.
 *
 * <p>Backward: the ranks all-gather the gradients of their embeddings, and each rank adds the
 * parts of those rows that fall in its piece into its gradient shard, in rank and then token
 * order (summed over the replicas too under HYBRID_SHARD).
 *
 * <p>Each direction moves N·T·D values (N ranks, T tokens per micro-batch, D = d_model) instead
 * of the table's V·D: {@link #pays} says when that is less. Calls come from the step's
 * collectives thread, one at a time, forward and backward of a micro-batch in turn.
 */
final class ShardedLookup implements AutoCloseable {

  private static final int ZEROS = 16 << 10;

  private final UnitCollectives collectives;
  private final int dModel;
  /** The table's elements, V·D. */
  private final long tableLength;
  private final boolean bf16;
  /** Every rank's token ids of the current micro-batch, rank after rank. */
  private float[] ids;
  /** Kept from call to call: the ids being gathered, and the rows being exchanged. */
  private FlatVector idVector;
  private FlatVector rows;
  /**
   * Kept too: this rank's embeddings, which {@link #forward} returns and the computing thread
   * copies before the next forward. T·D floats are 1 MiB or more at T = 256, D = 1024: an array
   * that large per call is one of G1's humongous allocations, each of which can start a marking
   * cycle of the whole heap (the master and AdamW shards).
   */
  private float[] embeddings;

  ShardedLookup(UnitCollectives collectives, int dModel, long tableLength, boolean bf16) {
    this.collectives = collectives;
    this.dModel = dModel;
    this.tableLength = tableLength;
    this.bf16 = bf16;
  }

  /**
   * Whether exchanging the rows of {@code tokens} tokens per rank, over {@code ranks} ranks,
   * moves no more than gathering a table of {@code vocabRows} rows (and the ids travel exactly
   * as fp32).
   */
  static boolean pays(int ranks, long tokens, long vocabRows) {
    return ranks * tokens <= vocabRows && vocabRows <= (1 << 24);
  }

  /**
   * This rank's embeddings, {@code tokens.length} rows of D, of {@code tokens}; {@code
   * master[from ..]} is this rank's piece of the table. The array is the next call's too: read
   * it before.
   */
  float[] forward(long[] tokens, float[] master, int from) {
    Collectives shard = collectives.shard();
    int n = shard.worldSize();
    int t = tokens.length;
    idVector = kept(idVector, (long) n * t);
    float[] mine = new float[t];
    for (int i = 0; i < t; i++) {
      mine[i] = tokens[i];
    }
    idVector.put((long) shard.rank() * t, mine, 0, t);
    shard.allGatherInPlace(idVector);
    ids = new float[n * t];
    idVector.get(0, ids, 0, n * t);

    rows = kept(rows, (long) n * t * dModel);
    zero(rows);
    FlatLayout.Range piece = collectives.mine(tableLength);
    float[] row = new float[dModel];
    forEachPart(piece, (k, inRow, inPiece, len) -> {
      System.arraycopy(master, from + inPiece, row, 0, len);
      if (bf16) {
        Bf16.roundInPlace(row, 0, len);
      }
      rows.put((long) k * dModel + inRow, row, 0, len);
    });
    if (embeddings == null || embeddings.length != t * dModel) {
      embeddings = new float[t * dModel];
    }
    shard.reduceScatter(rows, embeddings);
    return embeddings;
  }

  /**
   * Adds to {@code shardGrads[at ..]} (this rank's piece of the table's gradient) the gradients
   * {@code dy} of this rank's embeddings of the last {@link #forward} and those of the other
   * ranks.
   */
  void backward(float[] dy, float[] shardGrads, int at) {
    Collectives shard = collectives.shard();
    int t = dy.length / dModel;
    rows = kept(rows, (long) shard.worldSize() * t * dModel);
    rows.put((long) shard.rank() * t * dModel, dy, 0, dy.length);
    shard.allGatherInPlace(rows);

    FlatLayout.Range piece = collectives.mine(tableLength);
    float[] sums = collectives.hasReplicas() ? collectives.zeroedPart((int) piece.length())
        : shardGrads;
    int base = collectives.hasReplicas() ? 0 : at;
    float[] row = new float[dModel];
    forEachPart(piece, (k, inRow, inPiece, len) -> {
      rows.get((long) k * dModel + inRow, row, 0, len);
      for (int j = 0; j < len; j++) {
        sums[base + inPiece + j] += row[j];
      }
    });
    if (collectives.hasReplicas()) {
      collectives.sumOverReplicas(sums);
      for (int i = 0; i < sums.length; i++) {
        shardGrads[at + i] += sums[i];
      }
    }
  }

  /** The part of one token's row that lies in this rank's piece of the table. */
  private interface RowPart {
    /** Token {@code k}'s row from {@code inRow} is the piece's {@code len} from {@code inPiece}. */
    void accept(int k, int inRow, int inPiece, int len);
  }

  /** Each token of {@link #ids}, in order, whose row meets {@code piece}. */
  private void forEachPart(FlatLayout.Range piece, RowPart part) {
    for (int k = 0; k < ids.length; k++) {
      long rowStart = (long) ids[k] * dModel;
      long lo = Math.max(rowStart, piece.start());
      long hi = Math.min(rowStart + dModel, piece.end());
      if (lo < hi) {
        part.accept(k, (int) (lo - rowStart), (int) (lo - piece.start()), (int) (hi - lo));
      }
    }
  }

  private static FlatVector kept(FlatVector v, long length) {
    if (v != null && v.length() == length) {
      return v;
    }
    if (v != null) {
      v.close();
    }
    return FlatVector.fp32(length);
  }

  private static void zero(FlatVector v) {
    float[] zeros = new float[ZEROS];
    for (long i = 0; i < v.length(); i += ZEROS) {
      v.put(i, zeros, 0, (int) Math.min(ZEROS, v.length() - i));
    }
  }

  /** Frees the kept buffers (once no collective runs). */
  @Override
  public void close() {
    if (idVector != null) {
      idVector.close();
      idVector = null;
    }
    if (rows != null) {
      rows.close();
      rows = null;
    }
  }
}
