package org.olmo4j.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.checkpoint.CheckpointStore;
import org.olmo4j.checkpoint.Manifest;
import org.olmo4j.io.Bf16;
import org.olmo4j.io.Dtype;
import org.olmo4j.io.Safetensors;
import org.olmo4j.io.SafetensorsReader;
import org.olmo4j.io.SafetensorsWriter;
import org.olmo4j.io.TensorInfo;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.model.ParamSpec;

class HfExportImportTest {

  @TempDir Path dir;

  @Test
  void exportThenImport() throws IOException {
    for (boolean tied : new boolean[] {true, false}) {
      FlatLayout layout = HfTestModels.layout(tied);
      float[] params = HfTestModels.params(layout);
      Path out = dir.resolve("hf-" + tied);
      HfExport.write(HfTestModels.config(tied), layout, params, out);
      assertTrue(Files.isRegularFile(out.resolve("config.json")));
      assertTrue(Files.isRegularFile(out.resolve("generation_config.json")));
      try (SafetensorsReader r = Safetensors.open(out.resolve("model.safetensors"))) {
        assertEquals(Map.of("format", "pt"), r.metadata());
        assertEquals(layout.params().size(), r.tensors().size());
        TensorInfo down = r.info("model.layers.1.mlp.down_proj.weight");
        assertEquals(Dtype.F32, down.dtype());
        assertArrayEquals(new long[] {4, 8}, down.shape());
      }
      assertArrayEquals(params, HfImport.read(out, layout));
    }
  }

  @Test
  void exportFromShardedCheckpoint() throws IOException {
    FlatLayout layout = HfTestModels.layout(false);
    float[] params = HfTestModels.params(layout);
    CheckpointStore store = new CheckpointStore(dir.resolve("ckpt"));
    for (int r = 0; r < 3; r++) {
      FlatLayout.Range range = layout.shardRange(r, 3);
      float[] m = java.util.Arrays.copyOfRange(params, (int) range.start(), (int) range.end());
      store.writeShard(7, 0, r, 3, range, m, new float[m.length], new float[m.length]);
    }
    Path ckpt = store.commit(7, Manifest.of(7, 0, 3, null, "model: {}\n", layout));
    HfExport.fromCheckpoint(ckpt, HfTestModels.config(false), dir.resolve("hf"));
    assertArrayEquals(params, HfImport.read(dir.resolve("hf"), layout));
  }

  /** Writes the given tensors (name → values) as one safetensors file of dtype {@code dtype}. */
  private static void writeRaw(Path file, FlatLayout layout, float[] params, Dtype dtype, List<String> names)
      throws IOException {
    List<TensorInfo> infos = new ArrayList<>();
    for (String n : names) {
      infos.add(new TensorInfo(n, dtype, layout.param(n).shape()));
    }
    try (SafetensorsWriter w = Safetensors.create(file, infos, Map.of("format", "pt"))) {
      for (String n : names) {
        ParamSpec p = layout.param(n);
        int off = (int) layout.offsetOf(n);
        if (dtype == Dtype.F16) {
          ByteBuffer b = ByteBuffer.allocate(2 * (int) p.numel()).order(ByteOrder.LITTLE_ENDIAN);
          for (int i = 0; i < p.numel(); i++) {
            b.putShort((short) (i % 2 == 0 ? 0x3c00 : 0xb800)); // 1.0, -0.5
          }
          w.writeBytes(b.flip());
        } else {
          w.write(params, off, (int) p.numel());
        }
      }
    }
  }

  private static List<String> names(FlatLayout layout) {
    return layout.params().stream().map(ParamSpec::name).toList();
  }

  @Test
  void bf16ImportsAsWidenedValues() throws IOException {
    FlatLayout layout = HfTestModels.layout(true);
    float[] params = HfTestModels.params(layout);
    writeRaw(dir.resolve("model.safetensors"), layout, params, Dtype.BF16, names(layout));
    float[] expected = params.clone();
    Bf16.roundInPlace(expected, 0, expected.length);
    assertArrayEquals(expected, HfImport.read(dir, layout));
  }

  @Test
  void shardedF16WithIndexAndIgnoredExtras() throws IOException {
    FlatLayout layout = HfTestModels.layout(true);
    List<String> all = new ArrayList<>(names(layout));
    List<String> first = all.subList(0, 5);
    List<String> second = all.subList(5, all.size());
    writeRaw(dir.resolve("model-00001-of-00002.safetensors"), layout, null, Dtype.F16, first);
    // Tied model but the file carries lm_head.weight and rotary inv_freq buffers: both are ignored.
    FlatLayout withExtras = new FlatLayout(concat(layout.params(),
        new ParamSpec("lm_head.weight", new long[] {12, 4}, ParamSpec.Kind.LINEAR),
        new ParamSpec("model.layers.0.self_attn.rotary_emb.inv_freq", new long[] {1}, ParamSpec.Kind.NORM)));
    List<String> secondWithExtras = new ArrayList<>(second);
    secondWithExtras.add("lm_head.weight");
    secondWithExtras.add("model.layers.0.self_attn.rotary_emb.inv_freq");
    writeRaw(dir.resolve("model-00002-of-00002.safetensors"), withExtras, null, Dtype.F16, secondWithExtras);
    StringBuilder index = new StringBuilder("{\"metadata\": {}, \"weight_map\": {");
    for (String n : first) {
      index.append('"').append(n).append("\": \"model-00001-of-00002.safetensors\",");
    }
    for (String n : secondWithExtras) {
      index.append('"').append(n).append("\": \"model-00002-of-00002.safetensors\",");
    }
    index.setLength(index.length() - 1);
    Files.writeString(dir.resolve("model.safetensors.index.json"), index.append("}}").toString());

    float[] got = HfImport.read(dir, layout);
    for (ParamSpec p : layout.params()) {
      int off = (int) layout.offsetOf(p.name());
      for (int i = 0; i < p.numel(); i++) {
        assertEquals(i % 2 == 0 ? 1.0f : -0.5f, got[off + i], p.name() + "[" + i + "]");
      }
    }
  }

  private static List<ParamSpec> concat(List<ParamSpec> a, ParamSpec... more) {
    List<ParamSpec> out = new ArrayList<>(a);
    out.addAll(List.of(more));
    return out;
  }

  @Test
  void wrongShapeNamesTensorAndShapes() throws IOException {
    FlatLayout layout = HfTestModels.layout(true);
    float[] params = HfTestModels.params(layout);
    HfExport.write(HfTestModels.config(true), layout, params, dir);
    List<ParamSpec> changed = new ArrayList<>();
    for (ParamSpec p : layout.params()) {
      changed.add(p.name().equals("model.layers.1.mlp.up_proj.weight")
          ? new ParamSpec(p.name(), new long[] {4, 8}, p.kind()) : p);
    }
    var e = assertThrows(IOException.class, () -> HfImport.read(dir, new FlatLayout(changed)));
    assertTrue(e.getMessage().contains("model.layers.1.mlp.up_proj.weight")
        && e.getMessage().contains("[8, 4]") && e.getMessage().contains("expected [4, 8]"), e.getMessage());
  }

  @Test
  void untiedModelNeedsLmHead() throws IOException {
    HfExport.write(HfTestModels.config(true), HfTestModels.layout(true),
        HfTestModels.params(HfTestModels.layout(true)), dir);
    var e = assertThrows(IOException.class, () -> HfImport.read(dir, HfTestModels.layout(false)));
    assertTrue(e.getMessage().contains("lm_head.weight") && e.getMessage().contains("missing"), e.getMessage());
  }

  @Test
  void unknownTensorsAreRefused() throws IOException {
    FlatLayout layout = HfTestModels.layout(true);
    FlatLayout olmo2ish = new FlatLayout(concat(layout.params(),
        new ParamSpec("model.layers.0.self_attn.q_norm.weight", new long[] {4}, ParamSpec.Kind.NORM)));
    float[] params = HfTestModels.params(olmo2ish);
    writeRaw(dir.resolve("model.safetensors"), olmo2ish, params, Dtype.F32, names(olmo2ish));
    var e = assertThrows(IOException.class, () -> HfImport.read(dir, layout));
    assertTrue(e.getMessage().contains("q_norm"), e.getMessage());
  }

  @Test
  void exportRefusesLayoutThatDoesNotMatchConfig() {
    FlatLayout untied = HfTestModels.layout(false);
    var e = assertThrows(IllegalArgumentException.class, () ->
        HfExport.write(HfTestModels.config(true), untied, HfTestModels.params(untied), dir));
    assertTrue(e.getMessage().contains("lm_head.weight"), e.getMessage());
  }
}
