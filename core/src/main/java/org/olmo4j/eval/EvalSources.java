package org.olmo4j.eval;

import java.nio.file.Files;
import java.nio.file.Path;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.data.DataException;
import org.olmo4j.data.DataPaths;
import org.olmo4j.data.EmbeddedCorpus;

/**
 * Where evaluation data lives: the embedded generated tasks {@code embedded:eval/next_sentence.jsonl}
 * and {@code embedded:eval/last_word.jsonl}, generated from the held-out text with
 * {@link EmbeddedTasks#DEFAULT_SEED} on first use; every other path (local, {@code embedded:NAME},
 * {@code http(s)://}, a mapped prefix) as the training data's, through {@link DataPaths}.
 */
public final class EvalSources {

  public static final String TASKS_PREFIX = EmbeddedCorpus.PREFIX + "eval/";

  private final DataPaths paths;
  private final EmbeddedCorpus corpus;

  public EvalSources(DataPaths paths) {
    this.paths = paths;
    this.corpus = paths.corpus();
  }

  /** Sources of a run: its {@code data.remote_prefix_map} and remote cache apply to eval paths too. */
  public static EvalSources of(TrainConfig cfg) {
    return new EvalSources(DataPaths.of(cfg.data()));
  }

  /** Sources on the default cache ({@code $OLMO4J_CACHE} or {@code ~/.cache/olmo4j}). */
  public static EvalSources atDefaultCache() {
    return new EvalSources(DataPaths.atDefaultCache());
  }

  /** The local file for {@code path}. */
  public Path resolve(String path) {
    if (path.startsWith(TASKS_PREFIX)) {
      String name = path.substring(TASKS_PREFIX.length());
      if (!EmbeddedTasks.FILES.contains(name)) {
        throw new DataException("unknown embedded task '" + path + "': expected one of "
            + EmbeddedTasks.FILES.stream().map(f -> TASKS_PREFIX + f).toList());
      }
      return generatedTasks().resolve(name);
    }
    return paths.resolve(path);
  }

  /** The OLMo tokenizer JSON that tokenizes downstream tasks. */
  public Path tokenizer() {
    return corpus.resolve("embedded:tokenizer");
  }

  private Path generatedTasks() {
    Path dir = corpus.directory().resolve("eval-tasks-seed" + EmbeddedTasks.DEFAULT_SEED);
    synchronized (EvalSources.class) {
      boolean complete = EmbeddedTasks.FILES.stream().allMatch(f -> Files.isRegularFile(dir.resolve(f)));
      if (!complete) {
        Path tmp = dir.resolveSibling(dir.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        EmbeddedTasks.generate(corpus.heldoutDocuments(), EmbeddedTasks.DEFAULT_SEED,
            EmbeddedTasks.DEFAULT_EXAMPLES, tmp);
        try {
          Files.move(tmp, dir, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (java.io.IOException e) {
          // Another process generated the same files first: keep theirs.
          if (!Files.isDirectory(dir)) {
            throw new java.io.UncheckedIOException("cannot move " + tmp + " to " + dir, e);
          }
        }
      }
    }
    return dir;
  }
}
