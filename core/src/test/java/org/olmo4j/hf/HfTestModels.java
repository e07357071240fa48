package org.olmo4j.hf;

import java.util.ArrayList;
import java.util.List;
import org.olmo4j.config.InitFn;
import org.olmo4j.config.LayerNormType;
import org.olmo4j.config.ModelConfig;
import org.olmo4j.model.FlatLayout;
import org.olmo4j.model.ParamSpec;
import org.olmo4j.model.ParamSpec.Kind;

/** A tiny OLMo config and its layout, built by hand from the HF naming scheme. */
final class HfTestModels {

  private HfTestModels() {}

  /** d_model 4, 2 heads, 2 layers, SwiGLU hidden 8, vocab 10 padded to 12. */
  static ModelConfig config(boolean tied) {
    return new ModelConfig(4, 2, 2, 4, null, 10, 12, 32, 10000.0, tied, InitFn.MITCHELL, 0.02, 3.0,
        LayerNormType.DEFAULT, false, false, 8.0, 9, 1);
  }

  static FlatLayout layout(boolean tied) {
    List<ParamSpec> p = new ArrayList<>();
    p.add(new ParamSpec("model.embed_tokens.weight", new long[] {12, 4}, Kind.EMBEDDING));
    for (int i = 0; i < 2; i++) {
      for (String proj : List.of("q", "k", "v", "o")) {
        p.add(new ParamSpec("model.layers." + i + ".self_attn." + proj + "_proj.weight", new long[] {4, 4}, Kind.LINEAR));
      }
      p.add(new ParamSpec("model.layers." + i + ".mlp.gate_proj.weight", new long[] {8, 4}, Kind.LINEAR));
      p.add(new ParamSpec("model.layers." + i + ".mlp.up_proj.weight", new long[] {8, 4}, Kind.LINEAR));
      p.add(new ParamSpec("model.layers." + i + ".mlp.down_proj.weight", new long[] {4, 8}, Kind.LINEAR));
    }
    if (!tied) {
      p.add(new ParamSpec("lm_head.weight", new long[] {12, 4}, Kind.LINEAR));
    }
    return new FlatLayout(p);
  }

  static float[] params(FlatLayout layout) {
    float[] a = new float[(int) layout.totalElements()];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) Math.sin(i * 0.731) * 0.05f;
    }
    return a;
  }
}
