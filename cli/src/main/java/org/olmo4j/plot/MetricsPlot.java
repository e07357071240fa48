package org.olmo4j.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.util.List;

/**
 * Draws loss, learning rate and tokens/s over steps as three stacked panels (Java2D, headless);
 * further runs are drawn over the first in {@link #COMPARED} colours, with a legend.
 */
public final class MetricsPlot {

  /** One panel: its title, the series of each run, and the first run's colour. */
  private record Panel(String title, List<double[]> values, Color color) {}

  /** A run to draw: its metrics and the name its legend entry shows. */
  public record Run(String name, MetricsSeries series) {}

  static final Color LOSS = new Color(0xd6, 0x27, 0x28);
  static final Color LR = new Color(0x1f, 0x77, 0xb4);
  static final Color SPEED = new Color(0x2c, 0xa0, 0x2c);
  /** The colours of the second, third, … run in every panel. */
  static final List<Color> COMPARED = List.of(new Color(0x17, 0xbe, 0xcf),
      new Color(0xff, 0x7f, 0x0e), new Color(0x94, 0x67, 0xbd));
  private static final Color GRID = new Color(0xe4, 0xe4, 0xe4);
  private static final int LEFT = 84;
  private static final int RIGHT = 24;
  private static final int TOP = 34;
  private static final int BOTTOM = 44;

  private MetricsPlot() {}

  /** The image: three panels of height/3 each, white background. */
  public static BufferedImage render(MetricsSeries s, String title, int width, int height) {
    return render(List.of(new Run(title, s)), title, width, height);
  }

  /** As {@link #render(MetricsSeries, String, int, int)}, the runs over one another. */
  public static BufferedImage render(List<Run> runs, String title, int width, int height) {
    if (runs.size() > 1 + COMPARED.size()) {
      throw new IllegalArgumentException("at most " + (1 + COMPARED.size()) + " runs per plot");
    }
    if (width < 300 || height < 300) {
      throw new IllegalArgumentException("plot size " + width + "x" + height
          + " is too small: expected at least 300x300");
    }
    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING,
          RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, width, height);
      List<MetricsSeries> all = runs.stream().map(Run::series).toList();
      List<Panel> panels = List.of(
          new Panel(title + " — loss", all.stream().map(MetricsSeries::loss).toList(), LOSS),
          new Panel("learning rate", all.stream().map(MetricsSeries::lr).toList(), LR),
          new Panel("throughput (tokens/s)", all.stream().map(MetricsSeries::tokensPerS).toList(),
              SPEED));
      long first = all.stream().mapToLong(r -> r.steps()[0]).min().orElseThrow();
      long last = all.stream().mapToLong(r -> r.steps()[r.steps().length - 1]).max().orElseThrow();
      Axis x = Axis.covering(first, last, 8);
      for (int i = 0; i < panels.size(); i++) {
        drawPanel(g, panels.get(i), all, x, plotArea(i, width, height));
      }
      if (runs.size() > 1) {
        drawLegend(g, runs, plotArea(0, width, height));
      }
    } finally {
      g.dispose();
    }
    return img;
  }

  /** Where panel {@code i} (0 loss, 1 lr, 2 tokens/s) draws its data, inside its axes. */
  public static Rectangle plotArea(int i, int width, int height) {
    int panelHeight = height / 3;
    int top = i * panelHeight + TOP;
    return new Rectangle(LEFT, top, width - LEFT - RIGHT, panelHeight - TOP - BOTTOM);
  }

  private static void drawPanel(Graphics2D g, Panel p, List<MetricsSeries> runs, Axis x,
      Rectangle r) {
    List<Double> finite = p.values().stream().flatMap(v -> MetricsSeries.finite(v).stream())
        .toList();
    double min = finite.stream().mapToDouble(Double::doubleValue).min().orElse(0);
    double max = finite.stream().mapToDouble(Double::doubleValue).max().orElse(1);
    Axis y = Axis.covering(min, max, 5);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
    g.setColor(Color.BLACK);
    g.drawString(p.title(), r.x, r.y - 12);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    FontMetrics fm = g.getFontMetrics();
    for (double t : y.ticks()) {
      int py = r.y + r.height - (int) Math.round(y.fraction(t) * r.height);
      g.setColor(GRID);
      g.drawLine(r.x, py, r.x + r.width, py);
      g.setColor(Color.DARK_GRAY);
      String label = y.label(t);
      g.drawString(label, r.x - 8 - fm.stringWidth(label), py + fm.getAscent() / 2 - 1);
    }
    for (double t : x.ticks()) {
      int px = r.x + (int) Math.round(x.fraction(t) * r.width);
      g.setColor(GRID);
      g.drawLine(px, r.y, px, r.y + r.height);
      g.setColor(Color.DARK_GRAY);
      String label = x.label(t);
      g.drawString(label, px - fm.stringWidth(label) / 2, r.y + r.height + 6 + fm.getAscent());
    }
    g.drawString("step", r.x + r.width - fm.stringWidth("step"), r.y + r.height + 22 + fm.getAscent());
    g.setColor(Color.BLACK);
    g.drawRect(r.x, r.y, r.width, r.height);
    for (int k = p.values().size() - 1; k >= 0; k--) { // the first run on top
      drawLine(g, k == 0 ? p.color() : COMPARED.get(k - 1), p.values().get(k),
          runs.get(k).stepsAsDoubles(), x, y, r);
    }
  }

  /** Run names in their loss colours, top right of the loss panel. */
  private static void drawLegend(Graphics2D g, List<Run> runs, Rectangle r) {
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    FontMetrics fm = g.getFontMetrics();
    int y = r.y + 6 + fm.getAscent();
    for (int k = 0; k < runs.size(); k++) {
      String name = runs.get(k).name();
      int x = r.x + r.width - 8 - fm.stringWidth(name);
      g.setColor(k == 0 ? LOSS : COMPARED.get(k - 1));
      g.fillRect(x - 22, y - fm.getAscent() / 2 - 1, 16, 3);
      g.drawString(name, x, y);
      y += fm.getHeight();
    }
  }

  /** The series as a polyline, broken at non-finite values; a lone point becomes a dot. */
  private static void drawLine(Graphics2D g, Color color, double[] values, double[] xs, Axis x,
      Axis y, Rectangle r) {
    g.setColor(color);
    g.setStroke(new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
    Path2D.Double path = new Path2D.Double();
    boolean pen = false;
    for (int i = 0; i < xs.length; i++) {
      double v = values[i];
      if (!Double.isFinite(v)) {
        pen = false;
        continue;
      }
      double px = r.x + x.fraction(xs[i]) * r.width;
      double py = r.y + r.height - y.fraction(v) * r.height;
      if (pen) {
        path.lineTo(px, py);
      } else {
        path.moveTo(px, py);
        g.fillOval((int) px - 2, (int) py - 2, 5, 5);
        pen = true;
      }
    }
    g.draw(path);
    g.setStroke(new BasicStroke(1f));
  }
}
