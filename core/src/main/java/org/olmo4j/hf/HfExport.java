package org.olmo4j.hf;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.olmo4j.checkpoint.ShardReader;
import org.olmo4j.config.ModelConfig;
import org.olmo4j.io.Dtype;
import org.olmo4j.io.Safetensors;
import org.olmo4j.io.SafetensorsWriter;
import org.olmo4j.io.TensorInfo;
import org.olmo4j.model.Architecture;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.model.ParamSpec;

/** Writes a Hugging Face OLMo directory ({@code Olmo[2|3]ForCausalLM}): config.json + model.safetensors (F32). */
public final class HfExport {

  public static final String WEIGHTS = "model.safetensors";
  private static final int CHUNK = 1 << 20;

  /** Reads elements {@code [flatStart, flatStart+len)} of the flat parameter vector. */
  @FunctionalInterface
  public interface FlatSource {
    void read(long flatStart, float[] dst, int off, int len) throws IOException;
  }

  private HfExport() {}

  /** Exports the full flat parameter vector {@code fullParams} (Ψ elements) laid out by {@code layout}. */
  public static void write(ModelConfig cfg, FlatLayout layout, float[] fullParams, Path outDir) throws IOException {
    if (fullParams.length != layout.totalElements()) {
      throw new IllegalArgumentException("parameter vector has " + fullParams.length
          + " elements, the layout " + layout.totalElements());
    }
    write(cfg, layout, (start, dst, off, len) -> System.arraycopy(fullParams, (int) start, dst, off, len), outDir);
  }

  /** Exports the master weights of the checkpoint in {@code checkpointDir}, whatever its world size. */
  public static void fromCheckpoint(Path checkpointDir, ModelConfig cfg, Path outDir) throws IOException {
    try (ShardReader reader = ShardReader.open(checkpointDir)) {
      write(cfg, reader.manifest().flatLayout(), reader::readMaster, outDir);
    }
  }

  /** Exports parameters streamed from {@code source}, one tensor at a time, in chunks. */
  public static void write(ModelConfig cfg, FlatLayout layout, FlatSource source, Path outDir) throws IOException {
    checkLayout(cfg, layout);
    Files.createDirectories(outDir);
    HfConfig.write(cfg, outDir);
    writeGenerationConfig(cfg, outDir);
    List<TensorInfo> infos = new ArrayList<>();
    for (ParamSpec p : layout.params()) {
      infos.add(new TensorInfo(p.name(), Dtype.F32, p.shape()));
    }
    float[] buf = new float[(int) Math.min(CHUNK, Math.max(1, layout.totalElements()))];
    try (SafetensorsWriter w = Safetensors.create(outDir.resolve(WEIGHTS), infos, Map.of("format", "pt"))) {
      for (ParamSpec p : layout.params()) {
        long start = layout.offsetOf(p.name());
        for (long done = 0; done < p.numel(); ) {
          int n = (int) Math.min(buf.length, p.numel() - done);
          source.read(start + done, buf, 0, n);
          w.write(buf, 0, n);
          done += n;
        }
      }
    }
  }

  private static void checkLayout(ModelConfig cfg, FlatLayout layout) {
    Map<String, long[]> expected = HfConfig.expectedTensors(cfg);
    String hfClass = Architecture.of(cfg).family().hfClass();
    for (ParamSpec p : layout.params()) {
      long[] shape = expected.get(p.name());
      if (shape == null) {
        throw new IllegalArgumentException("parameter " + p.name() + " has no place in " + hfClass
            + (p.name().equals("lm_head.weight") ? " with tied embeddings (model.weight_tying=true)" : ""));
      }
      if (!Arrays.equals(shape, p.shape())) {
        throw new IllegalArgumentException("parameter " + p.name() + " has shape " + Arrays.toString(p.shape())
            + ", the model config implies " + Arrays.toString(shape));
      }
    }
    if (layout.params().size() != expected.size()) {
      List<String> missing = new ArrayList<>(expected.keySet());
      layout.params().forEach(p -> missing.remove(p.name()));
      throw new IllegalArgumentException("the layout lacks " + missing + " required by the model config");
    }
  }

  private static void writeGenerationConfig(ModelConfig cfg, Path outDir) throws IOException {
    ObjectNode g = HfConfig.JSON.createObjectNode();
    g.put("_from_model_config", true);
    g.put("eos_token_id", cfg.eosTokenId());
    g.put("pad_token_id", cfg.padTokenId());
    HfConfig.JSON.writeValue(outDir.resolve("generation_config.json").toFile(), g);
  }
}
