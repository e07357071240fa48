package org.olmo4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class CorpusTextsTest {
  @Test
  void stripsGutenbergBoilerplateBetweenMarkers() {
    String book = "Header\n*** START OF THE PROJECT GUTENBERG EBOOK X ***\nBody text.\n\n"
        + "End of Project Gutenberg's X\n\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\nLicence";
    assertEquals("Body text.", CorpusTexts.gutenbergBody(book));
    assertEquals("Plain book.", CorpusTexts.gutenbergBody("Plain book.\n"));
  }

  @Test
  void cutsAtAParagraphOrLineBreak() {
    String text = "aaaa\n\nbbbb\n\ncccc";
    assertEquals(10, CorpusTexts.paragraphCut(text, 0.5));
    assertEquals(4, CorpusTexts.paragraphCut("aaaa\nbbbb", 0.1));
    assertEquals(9, CorpusTexts.paragraphCut("aaaa bbbb", 0.5));
  }

  @Test
  void detagsBrownText() {
    String tagged = "\n\n\tThe/at jury/nn said/vbd ``/`` no/at ''/'' ,/, (/( it/pps )/) 1/2/cd ./.\n\n"
        + "\tNext/ap one/cd ?/.\n";
    assertEquals("The jury said \"no\", (it) 1/2. Next one?", CorpusTexts.brownText(tagged));
  }
}
