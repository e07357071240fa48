package org.olmo4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.olmo4j.config.ModelConfig;
import org.olmo4j.model.ParamSpec.Kind;

class ArchitectureTest {

  @Test
  void namesOrderShapesAndKindsFollowHf() {
    List<ParamSpec> specs = Architecture.of(TestConfigs.tiny(false, null)).specs();
    assertEquals(1 + 2 * 7 + 1, specs.size());
    assertEquals("model.embed_tokens.weight", specs.get(0).name());
    assertArrayEquals(new long[] {16, 8}, specs.get(0).shape());
    assertEquals(Kind.EMBEDDING, specs.get(0).kind());
    String[] layer1 = {
      "model.layers.1.self_attn.q_proj.weight", "model.layers.1.self_attn.k_proj.weight",
      "model.layers.1.self_attn.v_proj.weight", "model.layers.1.self_attn.o_proj.weight",
      "model.layers.1.mlp.gate_proj.weight", "model.layers.1.mlp.up_proj.weight",
      "model.layers.1.mlp.down_proj.weight"};
    long[][] shapes = {{8, 8}, {8, 8}, {8, 8}, {8, 8}, {12, 8}, {12, 8}, {8, 12}};
    for (int j = 0; j < 7; j++) {
      ParamSpec p = specs.get(8 + j);
      assertEquals(layer1[j], p.name());
      assertArrayEquals(shapes[j], p.shape());
      assertEquals(Kind.LINEAR, p.kind());
    }
    ParamSpec last = specs.get(specs.size() - 1);
    assertEquals("lm_head.weight", last.name());
    assertArrayEquals(new long[] {16, 8}, last.shape());
    assertEquals(Kind.EMBEDDING, last.kind());
  }

  @Test
  void tiedModelHasNoLmHead() {
    List<ParamSpec> specs = Architecture.of(TestConfigs.tiny(true, null)).specs();
    assertEquals(15, specs.size());
    assertTrue(specs.stream().noneMatch(p -> p.name().equals("lm_head.weight")));
  }

  @Test
  void olmo1bAnd7bHaveTheirPublishedSizes() {
    assertEquals(1_176_764_416L, FlatLayout.of(TestConfigs.olmo1b())
        .totalElements());
    assertEquals(6_888_095_744L, FlatLayout.of(TestConfigs.olmo7b())
        .totalElements());
  }

  @Test
  void flopsPerTokenFollowsThePalmConvention() {
    ModelConfig c = TestConfigs.olmo1b();
    long nonEmb = Architecture.of(c).nonEmbeddingParams();
    assertEquals(1_176_764_416L - 50304L * 2048, nonEmb);
    long expected = 6 * (nonEmb + 50304L * 2048) + 12L * 16 * 2048 * 2048;
    assertEquals(expected, Architecture.of(c).flopsPerToken(2048));
    ModelConfig c7 = TestConfigs.olmo7b();
    assertEquals(6_888_095_744L - 2 * 50304L * 4096, Architecture.of(c7).nonEmbeddingParams());
    assertEquals(6 * (Architecture.of(c7).nonEmbeddingParams() + 50304L * 4096)
        + 12L * 32 * 4096 * 1024, Architecture.of(c7).flopsPerToken(1024));
  }

  @Test
  void unsupportedConfigNamesTheKey() {
    ModelConfig odd = TestConfigs.sized(10, 3, 1, 16, 8, true);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Architecture.of(odd).specs());
    assertTrue(e.getMessage().contains("model.n_heads = 3"), e.getMessage());
  }

  @Test
  void olmo2And3HaveTheirPublishedSizesAndNames() {
    assertEquals(1_484_916_736L, FlatLayout.of(TestConfigs.olmo2Sized(2048, 16, 16, 8192, null))
        .totalElements());
    assertEquals(7_298_617_344L, FlatLayout.of(TestConfigs.olmo2Sized(4096, 32, 32, 11008, null))
        .totalElements());
    Architecture tiny = Architecture.of(TestConfigs.olmo2(2, 2, null));
    List<String> layer0 = tiny.specs().stream().map(ParamSpec::name)
        .filter(n -> n.startsWith("model.layers.0.")).toList();
    assertEquals(List.of("q_proj", "k_proj", "v_proj", "o_proj", "q_norm", "k_norm",
        "post_attention_layernorm", "post_feedforward_layernorm", "gate_proj", "up_proj",
        "down_proj"), layer0.stream().map(n -> n.split("\\.")).map(p -> p[p.length - 2]).toList());
    assertArrayEquals(new long[] {8, 16}, tiny.layout().param("model.layers.0.self_attn.k_proj.weight").shape());
    assertArrayEquals(new long[] {8}, tiny.layout().param("model.layers.0.self_attn.k_norm.weight").shape());
    assertEquals(Kind.NORM, tiny.layout().param("model.norm.weight").kind());
    assertEquals("lm_head.weight", tiny.head());
    assertEquals(new Architecture.InitRule.Ones(), tiny.initRule("model.norm.weight"));
    assertEquals(new Architecture.InitRule.Normal(0.02, 3.0),
        tiny.initRule("model.layers.1.mlp.down_proj.weight"));
  }

  @Test
  void familiesFollowTheKeysAndAMixNamesWhatIsMissing() {
    assertEquals(Architecture.Family.OLMO, Architecture.of(TestConfigs.tiny(true, null)).family());
    assertEquals(Architecture.Family.OLMO2, Architecture.of(TestConfigs.olmo2(2, 2, null)).family());
    assertEquals(Architecture.Family.OLMO3,
        Architecture.of(TestConfigs.olmo2(3, 2, List.of(3, 3, -1))).family());
    ModelConfig mixed = TestConfigs.variant(TestConfigs.olmo2(2, 4, null),
        org.olmo4j.config.LayerNormType.RMS, true, false, true, null, null);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Architecture.of(mixed).family());
    assertTrue(e.getMessage().contains("attention_layer_norm true"), e.getMessage());
  }
}
