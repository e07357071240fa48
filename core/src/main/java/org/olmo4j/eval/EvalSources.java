package org.olmo4j.eval;

import java.nio.file.Files;
import java.nio.file.Path;
import org.olmo4j.data.DataException;
import org.olmo4j.data.EmbeddedCorpus;

/**
 * Where evaluation data lives: plain paths, the embedded corpus ({@code embedded:heldout},
 * {@code embedded:brown}, {@code embedded:tokenizer}) and the embedded generated tasks
 * {@code embedded:eval/next_sentence.jsonl} and {@code embedded:eval/last_word.jsonl}, generated
 * from the held-out text with {@link EmbeddedTasks#DEFAULT_SEED} on first use.
 */
public final class EvalSources {

  public static final String TASKS_PREFIX = EmbeddedCorpus.PREFIX + "eval/";

  private final EmbeddedCorpus corpus;

  public EvalSources(EmbeddedCorpus corpus) {
    this.corpus = corpus;
  }

  /** Sources on the default cache ({@code $OLMO4J_CACHE} or {@code ~/.cache/olmo4j}). */
  public static EvalSources atDefaultCache() {
    return new EvalSources(EmbeddedCorpus.atDefaultCache());
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
    return EmbeddedCorpus.isEmbedded(path) ? corpus.resolve(path) : Path.of(path);
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
