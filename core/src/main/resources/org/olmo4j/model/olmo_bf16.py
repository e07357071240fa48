class OlmoBf16(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  n_heads : int
  n_kv_heads : int
  head_dim : int
  n_layers : int
  rms : bool
  affine : bool
  qk_norm : bool
  qk_affine : bool
  norm_after : bool
  eps : float
  clip_qkv : float
  windows : List[int]
  head : str
  # OLMo's forward under amp_bf16, as torch autocast runs it: every matmul (q/k/v/o, the MLP,
  # the LM head) and attention take bf16 inputs (libtorch accumulates in fp32); norms, RoPE,
  # the residual stream, softmax statistics and the loss stay fp32. Weights arrive as the fp32
  # parameters (already bf16-rounded by the all-gather) in a dict by HF name; their gradients
  # flow back in fp32. Dtype codes: 15 = bfloat16, 6 = float32.
  def forward(self: __torch__.OlmoBf16,
    ids: Tensor,
    label_weight: Tensor,
    cos: Tensor,
    sin: Tensor,
    w: Dict[str, Tensor]) -> Tuple[Tensor, Tensor]:
    # Unit by unit (FULL_SHARD, activation checkpointing), the dict also carries the unit's input
    # "olmo4j.x" and which unit: "olmo4j.block" (its index, a one-element int64 tensor) returns
    # (y, y) for that block; "olmo4j.head" returns the head's (ce, z) of the last block's output,
    # "olmo4j.logits" its logits (twice).
    if "olmo4j.block" in w:
      y = self.block(w["olmo4j.x"], int(w["olmo4j.block"]), cos, sin, w)
      return (y, y)
    if "olmo4j.head" in w:
      return self.head_loss(w["olmo4j.x"], ids, label_weight, w)
    if "olmo4j.logits" in w:
      h = self.norm(w["olmo4j.x"], "model.norm.weight", self.affine, w)
      logits = torch.to(torch.linear(torch.to(h, 15), torch.to(w[self.head], 15)), 6)
      return (logits, logits)
    return self.head_loss(self.blocks(ids, cos, sin, w), ids, label_weight, w)

  def head_loss(self: __torch__.OlmoBf16,
    x: Tensor,
    ids: Tensor,
    label_weight: Tensor,
    w: Dict[str, Tensor]) -> Tuple[Tensor, Tensor]:
    h = self.norm(x, "model.norm.weight", self.affine, w)
    logits = torch.to(torch.linear(torch.to(h[:, :-1], 15), torch.to(w[self.head], 15)), 6)
    labels = torch.unsqueeze(ids[:, 1:], -1)
    lse = torch.logsumexp(logits, [-1], False)
    picked = torch.squeeze(torch.gather(logits, -1, labels), -1)
    ce = torch.sum(torch.mul(torch.sub(lse, picked), label_weight))
    z = torch.sum(torch.mul(torch.mul(lse, lse), label_weight))
    return (ce, z)

  def logits(self: __torch__.OlmoBf16,
    ids: Tensor,
    cos: Tensor,
    sin: Tensor,
    w: Dict[str, Tensor]) -> Tensor:
    h = self.hidden(ids, cos, sin, w)
    return torch.to(torch.linear(torch.to(h, 15), torch.to(w[self.head], 15)), 6)

  def hidden(self: __torch__.OlmoBf16,
    ids: Tensor,
    cos: Tensor,
    sin: Tensor,
    w: Dict[str, Tensor]) -> Tensor:
    return self.norm(self.blocks(ids, cos, sin, w), "model.norm.weight", self.affine, w)

  def blocks(self: __torch__.OlmoBf16,
    ids: Tensor,
    cos: Tensor,
    sin: Tensor,
    w: Dict[str, Tensor]) -> Tensor:
    # The fp32 parameters hold bf16-rounded values here, so gathering rows from them is the
    # bf16 lookup, with the embedding's gradient summed in fp32.
    x = torch.embedding(w["model.embed_tokens.weight"], ids)
    for i in range(self.n_layers):
      x = self.block(x, i, cos, sin, w)
    return x

  def block(self: __torch__.OlmoBf16,
    x: Tensor,
    i: int,
    cos: Tensor,
    sin: Tensor,
    w: Dict[str, Tensor]) -> Tensor:
    p = "model.layers." + str(i) + "."
    if self.norm_after:
      a = self.attention(torch.to(x, 15), i, p, cos, sin, w)
      x = torch.add(x, self.norm(a, p + "post_attention_layernorm.weight", self.affine, w))
      m = self.mlp(torch.to(x, 15), p, w)
      x = torch.add(x, self.norm(m, p + "post_feedforward_layernorm.weight", self.affine, w))
    else:
      xn = self.norm(x, p + "input_layernorm.weight", self.affine, w)
      x = torch.add(x, torch.to(self.attention(torch.to(xn, 15), i, p, cos, sin, w), 6))
      xn = self.norm(x, p + "post_attention_layernorm.weight", self.affine, w)
      x = torch.add(x, torch.to(self.mlp(torch.to(xn, 15), p, w), 6))
    return x

  def norm(self: __torch__.OlmoBf16,
    x: Tensor,
    name: str,
    weighted: bool,
    w: Dict[str, Tensor]) -> Tensor:
    x32 = torch.to(x, 6)
    if self.rms:
      ms = torch.mean(torch.mul(x32, x32), [-1], True)
      y = torch.mul(x32, torch.rsqrt(torch.add(ms, self.eps)))
    else:
      y = torch.layer_norm(x32, [x32.size(-1)], None, None, self.eps)
    if weighted:
      y = torch.mul(y, w[name])
    return y

  def attention(self: __torch__.OlmoBf16,
    x: Tensor,
    layer: int,
    p: str,
    cos: Tensor,
    sin: Tensor,
    w: Dict[str, Tensor]) -> Tensor:
    b = x.size(0)
    t = x.size(1)
    q = self.project(x, w[p + "self_attn.q_proj.weight"])
    k = self.project(x, w[p + "self_attn.k_proj.weight"])
    v = self.project(x, w[p + "self_attn.v_proj.weight"])
    if self.qk_norm:
      q = self.norm(q, p + "self_attn.q_norm.weight", self.qk_affine, w)
      k = self.norm(k, p + "self_attn.k_norm.weight", self.qk_affine, w)
    q = self.rope(q.view(b, t, self.n_heads, self.head_dim).transpose(1, 2), cos, sin)
    k = self.rope(k.view(b, t, self.n_kv_heads, self.head_dim).transpose(1, 2), cos, sin)
    v = v.view(b, t, self.n_kv_heads, self.head_dim).transpose(1, 2)
    group = self.n_heads // self.n_kv_heads
    if group > 1:
      k = torch.repeat_interleave(k, group, 1)
      v = torch.repeat_interleave(v, group, 1)
    window = self.windows[layer]
    if window > 0:
      pos = torch.arange(t, dtype=None, layout=None, device=x.device, pin_memory=None)
      d = torch.sub(torch.unsqueeze(pos, 1), torch.unsqueeze(pos, 0))
      visible = torch.logical_and(torch.ge(d, 0), torch.lt(d, window))
      y = torch.scaled_dot_product_attention(q, k, v, visible, 0., False)
    else:
      y = torch.scaled_dot_product_attention(q, k, v, None, 0., True)
    y = y.transpose(1, 2).reshape(b, t, self.n_heads * self.head_dim)
    return torch.linear(y, torch.to(w[p + "self_attn.o_proj.weight"], 15))

  def project(self: __torch__.OlmoBf16,
    x: Tensor,
    weight: Tensor) -> Tensor:
    y = torch.linear(x, torch.to(weight, 15))
    if self.clip_qkv > 0.:
      y = torch.clamp(y, -self.clip_qkv, self.clip_qkv)
    return y

  def rope(self: __torch__.OlmoBf16,
    x: Tensor,
    cos: Tensor,
    sin: Tensor) -> Tensor:
    x32 = torch.to(x, 6)
    half = self.head_dim // 2
    rotated = torch.cat([torch.neg(x32[:, :, :, half:]), x32[:, :, :, :half]], -1)
    return torch.to(torch.add(torch.mul(x32, cos), torch.mul(rotated, sin)), 15)

  def mlp(self: __torch__.OlmoBf16,
    x: Tensor,
    p: str,
    w: Dict[str, Tensor]) -> Tensor:
    g = torch.linear(x, torch.to(w[p + "mlp.gate_proj.weight"], 15))
    u = torch.linear(x, torch.to(w[p + "mlp.up_proj.weight"], 15))
    return torch.linear(torch.mul(torch.silu(g), u), torch.to(w[p + "mlp.down_proj.weight"], 15))
