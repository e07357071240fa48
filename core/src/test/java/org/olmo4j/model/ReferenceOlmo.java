package org.olmo4j.model;

import org.olmo4j.config.ModelConfig;

/** A plain-Java fp64 OLMo-1 forward written from the paper/HF code, to check the DJL model. */
final class ReferenceOlmo {

  private final ModelConfig c;
  private final FlatLayout layout;
  private final double[] w;

  ReferenceOlmo(ModelConfig c, double[] flat) {
    this.c = c;
    this.layout = new FlatLayout(OlmoModel.specs(c));
    this.w = flat;
  }

  /** logits[t][v] for one sequence. */
  double[][] logits(long[] ids) {
    int d = c.dModel();
    int t = ids.length;
    double[][] x = new double[t][d];
    for (int i = 0; i < t; i++) {
      x[i] = row("model.embed_tokens.weight", (int) ids[i], d);
    }
    for (int l = 0; l < c.nLayers(); l++) {
      double[][] a = attention(norm(x), l);
      x = add(x, a);
      double[][] m = mlp(norm(x), l);
      x = add(x, m);
    }
    double[][] h = norm(x);
    String head = c.weightTying() ? "model.embed_tokens.weight" : "lm_head.weight";
    double[][] out = new double[t][];
    for (int i = 0; i < t; i++) {
      out[i] = matVec(head, c.paddedVocabSize(), d, h[i]);
    }
    return out;
  }

  private double[][] attention(double[][] x, int l) {
    int t = x.length;
    int hd = c.headDim();
    double[][] q = new double[t][];
    double[][] k = new double[t][];
    double[][] v = new double[t][];
    for (int i = 0; i < t; i++) {
      q[i] = clip(matVec(OlmoSpecs.attn(l, "q_proj"), c.dModel(), c.dModel(), x[i]));
      k[i] = clip(matVec(OlmoSpecs.attn(l, "k_proj"), c.dModel(), c.dModel(), x[i]));
      v[i] = clip(matVec(OlmoSpecs.attn(l, "v_proj"), c.dModel(), c.dModel(), x[i]));
    }
    double[][] y = new double[t][c.dModel()];
    for (int h = 0; h < c.nHeads(); h++) {
      int o = h * hd;
      for (int i = 0; i < t; i++) {
        double[] qi = rope(q[i], o, i);
        double[] s = new double[i + 1];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j <= i; j++) {
          double[] kj = rope(k[j], o, j);
          for (int e = 0; e < hd; e++) {
            s[j] += qi[e] * kj[e];
          }
          s[j] /= Math.sqrt(hd);
          max = Math.max(max, s[j]);
        }
        double z = 0;
        for (int j = 0; j <= i; j++) {
          s[j] = Math.exp(s[j] - max);
          z += s[j];
        }
        for (int j = 0; j <= i; j++) {
          for (int e = 0; e < hd; e++) {
            y[i][o + e] += s[j] / z * v[j][o + e];
          }
        }
      }
    }
    double[][] out = new double[t][];
    for (int i = 0; i < t; i++) {
      out[i] = matVec(OlmoSpecs.attn(l, "o_proj"), c.dModel(), c.dModel(), y[i]);
    }
    return out;
  }

  /** rotate-half RoPE of the head slice {@code [o, o+hd)} at position {@code pos}. */
  private double[] rope(double[] vec, int o, int pos) {
    int hd = c.headDim();
    int half = hd / 2;
    double[] out = new double[hd];
    for (int e = 0; e < hd; e++) {
      double angle = pos * Math.pow(c.ropeTheta(), -2.0 * (e % half) / hd);
      double rot = e < half ? -vec[o + e + half] : vec[o + e - half];
      out[e] = vec[o + e] * Math.cos(angle) + rot * Math.sin(angle);
    }
    return out;
  }

  private double[][] mlp(double[][] x, int l) {
    int f = c.ffHiddenSize();
    int d = c.dModel();
    double[][] out = new double[x.length][];
    for (int i = 0; i < x.length; i++) {
      double[] g = matVec(OlmoSpecs.mlp(l, "gate_proj"), f, d, x[i]);
      double[] u = matVec(OlmoSpecs.mlp(l, "up_proj"), f, d, x[i]);
      double[] hid = new double[f];
      for (int j = 0; j < f; j++) {
        hid[j] = g[j] / (1 + Math.exp(-g[j])) * u[j];
      }
      out[i] = matVec(OlmoSpecs.mlp(l, "down_proj"), d, f, hid);
    }
    return out;
  }

  private double[] clip(double[] v) {
    if (c.clipQkv() == null) {
      return v;
    }
    double m = c.clipQkv();
    for (int i = 0; i < v.length; i++) {
      v[i] = Math.max(-m, Math.min(m, v[i]));
    }
    return v;
  }

  private static double[][] norm(double[][] x) {
    double[][] out = new double[x.length][];
    for (int i = 0; i < x.length; i++) {
      double mean = 0;
      for (double e : x[i]) {
        mean += e;
      }
      mean /= x[i].length;
      double var = 0;
      for (double e : x[i]) {
        var += (e - mean) * (e - mean);
      }
      var /= x[i].length;
      out[i] = new double[x[i].length];
      for (int j = 0; j < x[i].length; j++) {
        out[i][j] = (x[i][j] - mean) / Math.sqrt(var + 1e-5);
      }
    }
    return out;
  }

  private static double[][] add(double[][] a, double[][] b) {
    double[][] out = new double[a.length][a[0].length];
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < a[i].length; j++) {
        out[i][j] = a[i][j] + b[i][j];
      }
    }
    return out;
  }

  /** {@code W x} for W {@code [rows, cols]} (HF {@code [out, in]}). */
  private double[] matVec(String name, int rows, int cols, double[] x) {
    int off = (int) layout.offsetOf(name);
    double[] y = new double[rows];
    for (int r = 0; r < rows; r++) {
      double s = 0;
      for (int k = 0; k < cols; k++) {
        s += w[off + r * cols + k] * x[k];
      }
      y[r] = s;
    }
    return y;
  }

  private double[] row(String name, int r, int cols) {
    int off = (int) layout.offsetOf(name) + r * cols;
    double[] out = new double[cols];
    System.arraycopy(w, off, out, 0, cols);
    return out;
  }
}
