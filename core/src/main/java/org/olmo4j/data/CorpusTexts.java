package org.olmo4j.data;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Clean-up of the embedded corpus's raw texts into plain documents. */
final class CorpusTexts {
  private static final Pattern START =
      Pattern.compile("(?m)^\\*\\*\\* ?START OF (THE|THIS) PROJECT GUTENBERG.*$");
  private static final Pattern END = Pattern.compile(
      "(?m)^(\\*\\*\\* ?END OF (THE|THIS) PROJECT GUTENBERG|End of (the )?Project Gutenberg).*$");

  private static final Pattern CLOSING = Pattern.compile("[.,;:!?)\\]]+|'|''");

  private CorpusTexts() {}

  /** A Gutenberg book without licence boilerplate (text between START/END markers if present). */
  static String gutenbergBody(String text) {
    Matcher start = START.matcher(text);
    int from = start.find() ? start.end() : 0;
    Matcher end = END.matcher(text);
    int to = end.find(from) ? end.start() : text.length();
    return text.substring(from, to).strip();
  }

  /**
   * Where to split {@code text} so the tail holds about {@code 1 - fraction} of it: the first
   * paragraph break at or after that point, else the first line break (some books have no blank
   * lines), else the end.
   */
  static int paragraphCut(String text, double fraction) {
    int from = (int) (text.length() * fraction);
    int at = text.indexOf("\n\n", from);
    if (at < 0) {
      at = text.indexOf('\n', from);
    }
    return at < 0 ? text.length() : at;
  }

  /**
   * Brown corpus form C ({@code word/tag} tokens, one sentence per line) as readable text: tags
   * dropped, {@code ``}/{@code ''} turned into double quotes, no space before closing punctuation.
   */
  static String brownText(String tagged) {
    StringBuilder out = new StringBuilder(tagged.length() / 2);
    boolean noSpaceNext = true;
    for (String line : tagged.split("\n")) {
      for (String token : line.trim().split("\\s+")) {
        if (token.isEmpty()) {
          continue;
        }
        int slash = token.lastIndexOf('/');
        String word = slash > 0 ? token.substring(0, slash) : token;
        boolean opening = word.equals("``") || word.equals("(") || word.equals("[");
        boolean closing = CLOSING.matcher(word).matches();
        if (word.equals("``") || word.equals("''")) {
          word = "\"";
        }
        if (!noSpaceNext && !closing) {
          out.append(' ');
        }
        out.append(word);
        noSpaceNext = opening;
      }
    }
    return out.toString();
  }
}
