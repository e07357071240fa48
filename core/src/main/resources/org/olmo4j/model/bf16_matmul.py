class Bf16Matmul(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  # One bf16 n×n·n×n product from fp32 inputs, returned as fp32: the reference for MFU under
  # amp_bf16 (the casts are O(n²) against the product's O(n³)).
  def forward(self: __torch__.Bf16Matmul,
    a: Tensor,
    b: Tensor) -> Tensor:
    return torch.to(torch.matmul(torch.to(a, 15), torch.to(b, 15)), 6)
