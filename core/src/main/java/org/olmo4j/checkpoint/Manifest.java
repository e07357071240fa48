package org.olmo4j.checkpoint;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.olmo4j.data.DataSignature;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.model.ParamSpec;
import org.olmo4j.model.ShardPlan;

/**
 * {@code manifest.json} of a checkpoint directory: what was saved (step, world, train state,
 * config, parameter layout, shards) and how to check it (size and CRC32C of every file).
 */
public record Manifest(
    int formatVersion,
    long step,
    long generation,
    int worldSize,
    TrainState trainState,
    String configYaml,
    String configSha256,
    long totalElements,
    List<ParamEntry> params,
    List<ShardEntry> shards,
    List<FileEntry> files) {

  public static final int FORMAT_VERSION = 1;

  /**
   * Where training stands: enough to continue the data order and the RNG exactly. {@code data}
   * says what the data position means (null in checkpoints written before it was recorded, and
   * in those of no run, such as an import).
   */
  public record TrainState(long step, long tokensSeen, long dataPosition, int epoch, long rngSeed,
      /* nullable */ String rngState,
      @JsonInclude(JsonInclude.Include.NON_NULL) /* nullable */ DataSignature data) {

    public TrainState(long step, long tokensSeen, long dataPosition, int epoch, long rngSeed,
        String rngState) {
      this(step, tokensSeen, dataPosition, epoch, rngSeed, rngState, null);
    }
  }

  /** One parameter of the flat layout. */
  public record ParamEntry(String name, List<Long> shape, ParamSpec.Kind kind, long offset) {}

  /**
   * One shard file and the flat elements it holds: {@code [start, end)}, or, when {@code pieces}
   * is set (FULL_SHARD: one piece per unit), those ranges {@code [s, e)} concatenated in order
   * ({@code start}/{@code end} are then the first piece's start and the last piece's end).
   */
  public record ShardEntry(int rank, String file, long start, long end,
      @JsonInclude(JsonInclude.Include.NON_NULL) List<List<Long>> pieces) {

    public ShardEntry(int rank, String file, long start, long end) {
      this(rank, file, start, end, null);
    }

    /** A shard file holding the pieces of {@code plan}. */
    static ShardEntry of(int rank, String file, ShardPlan plan) {
      List<FlatLayout.Range> p = plan.pieces();
      if (p.size() == 1) {
        return new ShardEntry(rank, file, p.get(0).start(), p.get(0).end());
      }
      long start = p.isEmpty() ? 0 : p.get(0).start();
      long end = p.isEmpty() ? 0 : p.get(p.size() - 1).end();
      return new ShardEntry(rank, file, start, end,
          p.stream().map(r -> List.of(r.start(), r.end())).toList());
    }

    /** The flat ranges of the file's tensors, in their order. */
    public List<FlatLayout.Range> ranges() {
      if (pieces == null) {
        return List.of(new FlatLayout.Range(start, end));
      }
      return pieces.stream().map(r -> new FlatLayout.Range(r.get(0), r.get(1))).toList();
    }

    /** Elements of each tensor of the file. */
    public long elements() {
      return ranges().stream().mapToLong(FlatLayout.Range::length).sum();
    }
  }

  /** A file of the checkpoint directory with its size and CRC32C. */
  public record FileEntry(String name, long size, long crc32c) {}

  static final ObjectMapper JSON = new ObjectMapper()
      .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .enable(SerializationFeature.INDENT_OUTPUT)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

  public Manifest {
    params = List.copyOf(params);
    shards = List.copyOf(shards);
    files = List.copyOf(files);
  }

  /**
   * A manifest for a world of {@code worldSize} SHARD_GRAD_OP shards of {@code layout}; files
   * are filled at commit.
   */
  public static Manifest of(long step, long generation, int worldSize, TrainState trainState,
      String configYaml, FlatLayout layout) {
    List<ShardPlan> plans = new ArrayList<>();
    for (int r = 0; r < worldSize; r++) {
      plans.add(ShardPlan.ofPieces(List.of(layout.shardRange(r, worldSize))));
    }
    return of(step, generation, plans, trainState, configYaml, layout);
  }

  /** A manifest for one shard file per rank, rank r holding {@code plans.get(r)}'s pieces. */
  public static Manifest of(long step, long generation, List<ShardPlan> plans,
      TrainState trainState, String configYaml, FlatLayout layout) {
    int worldSize = plans.size();
    List<ParamEntry> params = new ArrayList<>();
    for (ParamSpec p : layout.params()) {
      List<Long> shape = new ArrayList<>();
      for (long d : p.shape()) {
        shape.add(d);
      }
      params.add(new ParamEntry(p.name(), shape, p.kind(), layout.offsetOf(p.name())));
    }
    List<ShardEntry> shards = new ArrayList<>();
    for (int r = 0; r < worldSize; r++) {
      shards.add(ShardEntry.of(r, CheckpointStore.shardFileName(r, worldSize), plans.get(r)));
    }
    return new Manifest(FORMAT_VERSION, step, generation, worldSize, trainState, configYaml,
        sha256(configYaml), layout.totalElements(), params, shards, List.of());
  }

  public Manifest withFiles(List<FileEntry> newFiles) {
    return new Manifest(formatVersion, step, generation, worldSize, trainState, configYaml,
        configSha256, totalElements, params, shards, newFiles);
  }

  /** The parameter layout this checkpoint was saved with. */
  public FlatLayout flatLayout() {
    List<ParamSpec> specs = new ArrayList<>();
    for (ParamEntry p : params) {
      specs.add(new ParamSpec(p.name(), p.shape().stream().mapToLong(Long::longValue).toArray(), p.kind()));
    }
    return new FlatLayout(specs);
  }

  /** Hex SHA-256 of the UTF-8 bytes of {@code text}. */
  public static String sha256(String text) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  byte[] toJson() throws IOException {
    return JSON.writeValueAsBytes(this);
  }
}
