package org.olmo4j.eval;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.olmo4j.config.ConfigLoader;
import org.olmo4j.config.TrainConfig;

/** Real files and a tiny OLMo (OLMo's vocabulary, so the real tokenizer applies) for eval tests. */
final class EvalFixtures {

  private EvalFixtures() {}

  static final String TASK = String.join("\n",
      "{\"context\": \"The cat sat on the\", \"continuations\": [\" mat.\", \" moon, far away\", \" dog\"], "
          + "\"gold\": 0, \"unconditional_context\": \"Answer:\"}",
      "{\"context\": \"Water boils at\", \"continuations\": [\" 100 degrees\", \" noon\"], \"gold\": 0, "
          + "\"unconditional_context\": \"Answer:\"}",
      "{\"contexts\": [\"Anna gave Bob\", \"Bob gave Anna\"], \"continuations\": [\" a book. Café\", "
          + "\" a book. Café\"], \"gold\": 1, \"unconditional_context\": \"\"}",
      "{\"context\": \"1 2 3 4\", \"continuations\": [\" 5\", \" 7\", \" four\", \" 5 6\"], \"gold\": 3, "
          + "\"unconditional_context\": \"Answer:\"}",
      "");

  /** A uint16 token file of {@code n} seeded ids below 1000. */
  static Path tokens(Path dir, String name, int n, long seed) throws IOException {
    SplittableRandom rnd = new SplittableRandom(seed);
    ByteBuffer buf = ByteBuffer.allocate(n * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      buf.putShort((short) rnd.nextInt(1000));
    }
    Path p = dir.resolve(name);
    Files.write(p, buf.array());
    return p;
  }

  static Path task(Path dir) throws IOException {
    Path p = dir.resolve("task.jsonl");
    Files.writeString(p, TASK);
    return p;
  }

  /** The tiny model's config with {@code evaluators} YAML lines (already indented list items). */
  static TrainConfig config(Path data, String... evaluatorLines) {
    String yaml = String.join("\n",
        "precision: fp32",
        "global_train_batch_size: 4",
        "device_train_microbatch_size: 2",
        "model: {d_model: 32, n_heads: 2, n_layers: 2, mlp_ratio: 4, max_sequence_length: 32,",
        "  init_fn: normal, init_std: 0.2}",
        "data: {paths: [" + data + "]}",
        "evaluators:",
        String.join("\n", evaluatorLines), "");
    return ConfigLoader.fromYaml(yaml, List.of());
  }
}
