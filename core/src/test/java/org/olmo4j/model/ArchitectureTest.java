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
}
