package org.olmo4j.model;

import org.olmo4j.config.ModelConfig;

/**
 * A plain-Java fp64 forward of OLMo 1, 2 and 3 written from allenai/OLMo's and transformers'
 * code (not from this project's model), to check the DJL model: LayerNorm or RMSNorm with or
 * without weights, pre-norm or norm-after blocks, QK-norm, grouped-query attention, RoPE and
 * per-layer sliding windows.
 */
final class ReferenceOlmo {

  private final ModelConfig c;
  private final FlatLayout layout;
  private final double[] w;

  ReferenceOlmo(ModelConfig c, double[] flat) {
    this.c = c;
    this.layout = FlatLayout.of(c);
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
    boolean affine = c.layerNormWithAffine();
    for (int l = 0; l < c.nLayers(); l++) {
      String p = "model.layers." + l + ".";
      if (c.normAfter()) {
        x = add(x, norm(attention(x, l), affine ? p + "post_attention_layernorm.weight" : null));
        x = add(x, norm(mlp(x, l), affine ? p + "post_feedforward_layernorm.weight" : null));
      } else {
        x = add(x, attention(norm(x, affine ? p + "input_layernorm.weight" : null), l));
        x = add(x, mlp(norm(x, affine ? p + "post_attention_layernorm.weight" : null), l));
      }
    }
    double[][] h = norm(x, affine ? "model.norm.weight" : null);
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
    int kvWidth = c.kvHeads() * hd;
    int group = c.nHeads() / c.kvHeads();
    int window = c.windowOf(l);
    double[][] q = new double[t][];
    double[][] k = new double[t][];
    double[][] v = new double[t][];
    for (int i = 0; i < t; i++) {
      q[i] = clip(matVec(attn(l, "q_proj"), c.dModel(), c.dModel(), x[i]));
      k[i] = clip(matVec(attn(l, "k_proj"), kvWidth, c.dModel(), x[i]));
      v[i] = clip(matVec(attn(l, "v_proj"), kvWidth, c.dModel(), x[i]));
    }
    if (c.attentionLayerNorm()) {
      String p = "model.layers." + l + ".self_attn.";
      q = norm(q, c.attentionLayerNormWithAffine() ? p + "q_norm.weight" : null);
      k = norm(k, c.attentionLayerNormWithAffine() ? p + "k_norm.weight" : null);
    }
    double[][] y = new double[t][c.dModel()];
    for (int h = 0; h < c.nHeads(); h++) {
      int o = h * hd;
      int ko = (h / group) * hd;
      for (int i = 0; i < t; i++) {
        double[] qi = rope(q[i], o, i);
        int first = window > 0 ? Math.max(0, i - window + 1) : 0;
        double[] s = new double[i + 1];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = first; j <= i; j++) {
          double[] kj = rope(k[j], ko, j);
          for (int e = 0; e < hd; e++) {
            s[j] += qi[e] * kj[e];
          }
          s[j] /= Math.sqrt(hd);
          max = Math.max(max, s[j]);
        }
        double z = 0;
        for (int j = first; j <= i; j++) {
          s[j] = Math.exp(s[j] - max);
          z += s[j];
        }
        for (int j = first; j <= i; j++) {
          for (int e = 0; e < hd; e++) {
            y[i][o + e] += s[j] / z * v[j][ko + e];
          }
        }
      }
    }
    double[][] out = new double[t][];
    for (int i = 0; i < t; i++) {
      out[i] = matVec(attn(l, "o_proj"), c.dModel(), c.dModel(), y[i]);
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
      double[] g = matVec(mlp(l, "gate_proj"), f, d, x[i]);
      double[] u = matVec(mlp(l, "up_proj"), f, d, x[i]);
      double[] hid = new double[f];
      for (int j = 0; j < f; j++) {
        hid[j] = g[j] / (1 + Math.exp(-g[j])) * u[j];
      }
      out[i] = matVec(mlp(l, "down_proj"), d, f, hid);
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

  /** LayerNorm or RMSNorm of each row, times the named weight when there is one. */
  private double[][] norm(double[][] x, String weight) {
    double eps = c.layerNormEps();
    double[][] out = new double[x.length][];
    for (int i = 0; i < x.length; i++) {
      int n = x[i].length;
      double mean = 0;
      if (!c.layerNormType().isRms()) {
        for (double e : x[i]) {
          mean += e;
        }
        mean /= n;
      }
      double sq = 0;
      for (double e : x[i]) {
        sq += (e - mean) * (e - mean);
      }
      double scale = 1 / Math.sqrt(sq / n + eps);
      out[i] = new double[n];
      for (int j = 0; j < n; j++) {
        double g = weight == null ? 1 : w[(int) layout.offsetOf(weight) + j];
        out[i][j] = (x[i][j] - mean) * scale * g;
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

  private static String attn(int layer, String proj) {
    return "model.layers." + layer + ".self_attn." + proj + ".weight";
  }

  private static String mlp(int layer, String proj) {
    return "model.layers." + layer + ".mlp." + proj + ".weight";
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
