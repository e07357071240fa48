package org.olmo4j.hf;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.olmo4j.io.Safetensors;
import org.olmo4j.io.SafetensorsReader;
import org.olmo4j.io.TensorInfo;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.model.ParamSpec;

/** Reads the weights of a Hugging Face OLMo 1 / 2 / 3 directory into a flat vector. */
public final class HfImport {

  public static final String INDEX = "model.safetensors.index.json";
  private static final String LM_HEAD = "lm_head.weight";

  private HfImport() {}

  /**
   * The flat parameter vector of {@code layout} read from {@code hfDir} (F32, BF16 or F16;
   * {@code model.safetensors} or shards listed by {@code model.safetensors.index.json}).
   */
  public static float[] read(Path hfDir, FlatLayout layout) throws IOException {
    if (layout.totalElements() >= Integer.MAX_VALUE) {
      throw new IllegalArgumentException("model of " + layout.totalElements()
          + " parameters is too large for one array");
    }
    Map<String, Path> files = tensorFiles(hfDir);
    float[] out = new float[(int) layout.totalElements()];
    Map<Path, SafetensorsReader> readers = new LinkedHashMap<>();
    try {
      Map<String, SafetensorsReader> byTensor = new LinkedHashMap<>();
      for (Path f : files.values()) {
        if (!readers.containsKey(f)) {
          readers.put(f, Safetensors.open(f));
        }
      }
      for (SafetensorsReader r : readers.values()) {
        for (TensorInfo t : r.tensors()) {
          byTensor.put(t.name(), r);
        }
      }
      Set<String> expected = new HashSet<>();
      for (ParamSpec p : layout.params()) {
        expected.add(p.name());
        SafetensorsReader r = byTensor.get(p.name());
        if (r == null) {
          throw new IOException(hfDir + ": tensor " + p.name() + " " + Arrays.toString(p.shape()) + " is missing"
              + (p.name().equals(LM_HEAD) ? " (the model has untied embeddings)" : ""));
        }
        TensorInfo t = r.info(p.name());
        if (!Arrays.equals(t.shape(), p.shape())) {
          throw new IOException(r.file() + ": tensor " + p.name() + " has shape " + Arrays.toString(t.shape())
              + ", expected " + Arrays.toString(p.shape()));
        }
        r.readFloats(p.name(), 0, out, (int) layout.offsetOf(p.name()), (int) p.numel());
      }
      Set<String> unexpected = new TreeSet<>();
      for (String name : byTensor.keySet()) {
        boolean ignorable = name.endsWith(".rotary_emb.inv_freq") || name.equals(LM_HEAD); // tied: unused copy
        if (!expected.contains(name) && !ignorable) {
          unexpected.add(name);
        }
      }
      if (!unexpected.isEmpty()) {
        throw new IOException(hfDir + ": tensors " + unexpected
            + " are not part of the model (is this a checkpoint of the same config and OLMo family?)");
      }
      return out;
    } finally {
      for (SafetensorsReader r : readers.values()) {
        r.close();
      }
    }
  }

  /** Tensor name → file, from the index if there is one, else every tensor of model.safetensors. */
  private static Map<String, Path> tensorFiles(Path hfDir) throws IOException {
    Path index = hfDir.resolve(INDEX);
    Map<String, Path> out = new LinkedHashMap<>();
    if (Files.isRegularFile(index)) {
      JsonNode map = HfConfig.JSON.readTree(index.toFile()).get("weight_map");
      if (map == null || !map.isObject()) {
        throw new IOException(index + ": missing the weight_map object");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String file = e.getValue().asText();
        if (file.contains("/") || file.contains("\\") || file.startsWith(".")) {
          throw new IOException(index + ": weight_map." + e.getKey() + " names a file outside " + hfDir);
        }
        Path f = hfDir.resolve(file);
        if (!Files.isRegularFile(f)) {
          throw new IOException(index + ": " + file + " (holding " + e.getKey() + ") does not exist");
        }
        out.put(e.getKey(), f);
      }
      return out;
    }
    Path single = hfDir.resolve(HfExport.WEIGHTS);
    if (!Files.isRegularFile(single)) {
      throw new IOException(hfDir + " has neither " + HfExport.WEIGHTS + " nor " + INDEX);
    }
    out.put("*", single);
    return out;
  }
}
