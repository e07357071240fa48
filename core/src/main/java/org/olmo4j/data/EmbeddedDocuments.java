package org.olmo4j.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The documents of the embedded corpus, split deterministically: the last 5% of every Gutenberg
 * book (cut at a paragraph break) and every 20th State of the Union speech are held out; the Brown
 * corpus is a separate evaluation set.
 */
record EmbeddedDocuments(List<String> train, List<String> heldout, List<String> brown) {

  static EmbeddedDocuments load(Path gutenbergTgz, Path sotuTgz, Path brownTgz) {
    List<String> train = new ArrayList<>();
    List<String> heldout = new ArrayList<>();
    for (String book : texts(gutenbergTgz, n -> n.matches("package/gutenberg/[^/]+\\.txt"))) {
      String body = CorpusTexts.gutenbergBody(book);
      int cut = CorpusTexts.paragraphCut(body, EmbeddedCorpus.HELDOUT_FRACTION);
      train.add(body.substring(0, cut).strip());
      heldout.add(body.substring(cut).strip());
    }
    List<String> speeches = texts(sotuTgz, n -> n.matches("package/data/[^/]+\\.txt"));
    for (int i = 0; i < speeches.size(); i++) {
      String speech = speeches.get(i).strip();
      (i % EmbeddedCorpus.HELDOUT_EVERY == EmbeddedCorpus.HELDOUT_EVERY - 1 ? heldout : train)
          .add(speech);
    }
    List<String> brown = texts(brownTgz, n -> n.matches("package/c[a-r]\\d\\d")).stream()
        .map(CorpusTexts::brownText)
        .toList();
    if (train.isEmpty() || speeches.isEmpty() || brown.isEmpty()) {
      throw new DataException("embedded corpus packages " + gutenbergTgz + ", " + sotuTgz + ", "
          + brownTgz + " lack the expected text files");
    }
    return new EmbeddedDocuments(train, heldout, brown);
  }

  /** Decoded texts of the matching archive entries, sorted by entry name. */
  private static List<String> texts(Path tgz, Predicate<String> wanted) {
    Map<String, byte[]> sorted = new TreeMap<>(TarGzArchive.read(tgz, wanted));
    return sorted.values().stream().map(DocumentFiles::decodeText).toList();
  }
}
