package org.olmo4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.plot.MetricsPlot;

/** {@code olmo4j plot} on a real metrics.jsonl: a PNG of the asked size with all three curves drawn. */
class PlotTest {

  @TempDir Path tmp;

  /** Lines as MetricsLog writes them: falling loss, warmup then cosine lr, noisy tokens/s. */
  private Path metrics(int steps) throws Exception {
    StringBuilder sb = new StringBuilder();
    for (int s = 1; s <= steps; s++) {
      double lr = s <= 10 ? 1e-3 * s / 10 : 1e-4 + 9e-4 * 0.5 * (1 + Math.cos(Math.PI * (s - 10) / (steps - 10)));
      sb.append(String.format(Locale.ROOT, "{\"step\":%d,\"loss\":%.4f,\"z_loss\":0.0,\"lr\":%.6e,"
          + "\"grad_norm\":1.5,\"tokens\":%d,\"tokens_per_s\":%.1f,\"mfu\":0.3}%n",
          s, 11.0 - 4 * Math.log1p(s) / Math.log1p(steps), lr, s * 4096L, 9000 + 500 * Math.sin(s)));
      if (s % 20 == 0) { // an eval round shares the file, as in a real run
        sb.append(String.format(Locale.ROOT, "{\"step\":%d,\"eval/heldout/CrossEntropyLoss\":5.5,"
            + "\"eval_tokens\":1024,\"eval_seconds\":0.5}%n", s));
      }
    }
    Path file = tmp.resolve("run").resolve("metrics.jsonl");
    Files.createDirectories(file.getParent());
    Files.writeString(file, sb);
    return file;
  }

  @Test
  void writesAPngOfTheRequestedSizeWithEveryPanelDrawn() throws Exception {
    Path png = tmp.resolve("plot.png");
    CliTest.Run r = CliTest.run("plot", metrics(60).toString(), png.toString(), "--width=900",
        "--height=750");
    assertEquals(0, r.code(), r.err());
    BufferedImage img = ImageIO.read(png.toFile());
    assertEquals(900, img.getWidth());
    assertEquals(750, img.getHeight());
    Color[] colors = {new Color(0xd6, 0x27, 0x28), new Color(0x1f, 0x77, 0xb4),
        new Color(0x2c, 0xa0, 0x2c)};
    for (int panel = 0; panel < 3; panel++) {
      Rectangle area = MetricsPlot.plotArea(panel, 900, 750);
      for (int other = 0; other < 3; other++) {
        int n = pixelsOf(img, area, colors[other]);
        if (other == panel) {
          // A 2-px antialiased line across most of the panel: its exact colour on over half its width.
          assertTrue(n > area.width / 2, "panel " + panel + " has " + n + " pixels of its curve");
        } else {
          assertEquals(0, n, "panel " + panel + " has pixels of panel " + other + "'s curve");
        }
      }
      int dark = 0;
      for (int y = area.y + area.height + 4; y < area.y + area.height + 24; y++) {
        for (int x = area.x; x < area.x + area.width; x++) {
          dark += (img.getRGB(x, y) & 0xff) < 128 ? 1 : 0;
        }
      }
      assertTrue(dark > 50, "panel " + panel + " has tick labels under its x axis");
    }
  }

  @Test
  void comparedRunsAreDrawnOverTheFirstInTheirOwnColour() throws Exception {
    Path first = metrics(60);
    Path second = tmp.resolve("other").resolve("metrics.jsonl");
    Files.createDirectories(second.getParent());
    // Every loss moved up (7.5 → 17.5, 10.5 → 110.5): no point of the two curves coincides.
    Files.writeString(second, Files.readString(first).replaceAll("\"loss\":(\\d)", "\"loss\":1$1"));
    Path png = tmp.resolve("compare.png");
    CliTest.Run r = CliTest.run("plot", first.toString(), png.toString(), "--compare",
        second.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("2 runs"), r.out());
    BufferedImage img = ImageIO.read(png.toFile());
    Rectangle loss = MetricsPlot.plotArea(0, 1000, 900);
    assertTrue(pixelsOf(img, loss, new Color(0xd6, 0x27, 0x28)) > loss.width / 2);
    assertTrue(pixelsOf(img, loss, new Color(0x17, 0xbe, 0xcf)) > loss.width / 4,
        "the compared run's loss is drawn");
  }

  @Test
  void badInputNamesTheFileAndLine() throws Exception {
    Path missing = tmp.resolve("nope.jsonl");
    CliTest.Run r = CliTest.run("plot", missing.toString(), tmp.resolve("a.png").toString());
    assertEquals(2, r.code());
    assertEquals("error: metrics file " + missing + " does not exist", r.err().trim());

    Path bad = metrics(3);
    Files.writeString(bad, Files.readString(bad) + "{\"step\":4,\"loss\":\n");
    r = CliTest.run("plot", bad.toString(), tmp.resolve("b.png").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().startsWith("error: " + bad + " line 4: not JSON"), r.err());

    Files.writeString(bad, "{\"step\":1,\"loss\":2.0,\"tokens_per_s\":5}\n");
    r = CliTest.run("plot", bad.toString(), tmp.resolve("c.png").toString());
    assertEquals("error: " + bad + " line 1: expected a number 'lr', got none", r.err().trim());
    assertTrue(Files.notExists(tmp.resolve("c.png")));
  }

  private static int pixelsOf(BufferedImage img, Rectangle area, Color c) {
    int n = 0;
    for (int y = area.y + 1; y < area.y + area.height; y++) {
      for (int x = area.x + 1; x < area.x + area.width; x++) {
        n += (img.getRGB(x, y) & 0xffffff) == (c.getRGB() & 0xffffff) ? 1 : 0;
      }
    }
    return n;
  }
}
