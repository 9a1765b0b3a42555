"""Attention variants shared by the sequence families.

`CausalAttention` is the soft-attention block of SNAIL (Mishra et al. 2018, Sec. 3 and
Appendix B): one head whose keys and queries have `key_size` features and whose values have
`value_size`, no output projection, and a causal mask, so step t reads only steps <= t:

  q, k = x W_q, x W_k  [T, key_size];   v = x W_v  [T, value_size]
  read = softmax_over_keys(q k^T / sqrt(key_size) + causal mask) v.

flax's `nn.MultiHeadDotProductAttention` gives queries, keys and values one width and adds
an output projection, so the block is written here on `nn.dot_product_attention` (the
softmax over the key axis, the 1/sqrt(depth) scale) and `nn.make_causal_mask`. Normalising
over the query axis instead (softmax(..., dim=1) on [batch, queries, keys] logits) is a bug of
a widely used public SNAIL implementation: the weights a step reads with then no longer sum
to one, and they depend on later queries. `jaxgen.models.snail`'s tests pin the axis.
"""
from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp


class CausalAttention(nn.Module):
  """Single-head causal attention x [batch, T, in] -> read [batch, T, value_size].

  Attributes:
    key_size: features of the queries and keys (the logits are scaled by 1/sqrt of it).
    value_size: features of the values and of the read vectors.
  """
  key_size: int
  value_size: int

  @nn.compact
  def __call__(self, x: jax.Array, return_weights: bool = False):
    if x.ndim != 3:
      raise ValueError(f'CausalAttention expects x of shape [batch, time, features], got '
                       f'{x.shape}.')
    q = nn.Dense(self.key_size, name='query')(x)[:, :, None]
    k = nn.Dense(self.key_size, name='key')(x)[:, :, None]
    v = nn.Dense(self.value_size, name='value')(x)[:, :, None]
    mask = nn.make_causal_mask(jnp.ones(x.shape[:2], jnp.int32))   # [b, 1, T, T]
    read = nn.dot_product_attention(q, k, v, mask=mask)[:, :, 0]
    if not return_weights:
      return read
    weights = nn.dot_product_attention_weights(q, k, mask=mask)[:, 0]  # [b, queries, keys]
    return read, weights
