package org.olmo4j.data;

import java.util.ArrayList;
import java.util.List;
import org.olmo4j.tokenizer.OlmoTokenizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tokenizes documents in batches (the tokenizer parallelizes a batch natively) and appends each
 * document's ids followed by EOS to a {@link TokenFileWriter}, logging progress.
 */
public final class DocumentEncoder {
  private static final Logger LOG = LoggerFactory.getLogger(DocumentEncoder.class);
  private static final int BATCH_CHARS = 4 << 20;
  private static final long LOG_EVERY_NANOS = 10_000_000_000L;

  private final OlmoTokenizer tokenizer;
  private final TokenFileWriter writer;
  private final List<String> pending = new ArrayList<>();
  private final long startNanos = System.nanoTime();
  private long pendingChars;
  private long documents;
  private long lastLogNanos = startNanos;

  public DocumentEncoder(OlmoTokenizer tokenizer, TokenFileWriter writer) {
    this.tokenizer = tokenizer;
    this.writer = writer;
  }

  /** Queues one document; empty documents are skipped. */
  public void add(String document) {
    if (document.isEmpty()) {
      return;
    }
    pending.add(document);
    pendingChars += document.length();
    if (pendingChars >= BATCH_CHARS) {
      flush();
    }
  }

  /** Encodes and writes everything queued. */
  public void flush() {
    if (pending.isEmpty()) {
      return;
    }
    int[][] encoded = tokenizer.encodeBatch(pending);
    for (int[] ids : encoded) {
      writer.append(ids);
      writer.append(tokenizer.eosTokenId());
    }
    documents += encoded.length;
    pending.clear();
    pendingChars = 0;
    long now = System.nanoTime();
    if (now - lastLogNanos >= LOG_EVERY_NANOS) {
      lastLogNanos = now;
      logProgress();
    }
  }

  public long documents() {
    return documents;
  }

  public long tokens() {
    return writer.totalTokens();
  }

  void logProgress() {
    double seconds = Math.max(1e-9, (System.nanoTime() - startNanos) / 1e9);
    LOG.info("tokenized {} documents, {} tokens ({} tokens/s)",
        documents, writer.totalTokens(), Math.round(writer.totalTokens() / seconds));
  }
}
