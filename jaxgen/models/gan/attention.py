"""SAGAN's unscaled self-attention block (Zhang et al. 2018, "Self-Attention Generative Adversarial
Networks", section 3, eqs. 1-2).

For feature maps x with C channels at N = H * W positions, 1x1 convolutions give

  f(x) = W_f x,  g(x) = W_g x      (C_bar = C / 8 channels: keys and queries)
  h(x) = W_h x                     (value channels)
  s_ij = f(x_i)^T g(x_j),   beta_{j,i} = exp(s_ij) / sum_{i'} exp(s_i'j)   (softmax over i)
  o_j = v( sum_i beta_{j,i} h(x_i) ),   v(x) = W_v x                      (back to C channels)
  y_j = gamma * o_j + x_j,   gamma a learnable scalar initialised to 0,

so the block starts as the identity and learns how much non-local evidence to mix in. There is
no 1/sqrt(d) temperature (unlike Transformer attention), which is why `flax.linen`'s
dot-product attention is not used here. Every 1x1 convolution is spectrally normalised when
`spectral_norm` is set (section 4: SN in both G and D).
"""
from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgen.nn.spectral import maybe_spectral_norm


class UnscaledSelfAttention2D(nn.Module):
  """SAGAN's self-attention block on [batch, height, width, channels] feature maps.

  Named for what sets it apart: the scores f(x_i)^T g(x_j) are not divided by sqrt(d), as
  in the paper (a scaled dot-product attention for sequences belongs in `jaxgen.nn`).

  Attributes:
    key_channels: C_bar of f (keys) and g (queries); default C // 8 (the paper's k = 8).
    value_channels: channels of h (values) before v maps back to C; default C // 8 as in the
      paper (the authors' released code uses C // 2).
    pool_keys: 2x2 max-pool f and h (the released code's memory saving; N/4 key positions).
    spectral_norm: wrap f, g, h and v in `nn.SpectralNorm`.
    kernel_init: initialiser of the 1x1 convolutions.

  The attention map beta [batch, N_query, N_key] is sown as intermediates['attention'].
  """
  key_channels: int | None = None
  value_channels: int | None = None
  pool_keys: bool = False
  spectral_norm: bool = True
  kernel_init: nn.initializers.Initializer = nn.initializers.xavier_uniform()

  @nn.compact
  def __call__(self, x: jax.Array, update_stats: bool = False) -> jax.Array:
    """x: [batch, height, width, channels] -> y of the same shape (y = x while gamma = 0)."""
    if x.ndim != 4:
      raise ValueError(f'UnscaledSelfAttention2D takes [batch, height, width, channels]; got {x.shape}.')
    b, hgt, wid, c = x.shape
    ck = self.key_channels or max(c // 8, 1)
    cv = self.value_channels or max(c // 8, 1)

    def conv(features, name):
      layer = nn.Conv(features, (1, 1), use_bias=False, kernel_init=self.kernel_init, name=name)
      return maybe_spectral_norm(layer, x, spectral_norm=self.spectral_norm,
                                 update_stats=update_stats)

    f, g, h = conv(ck, 'f'), conv(ck, 'g'), conv(cv, 'h')
    if self.pool_keys:
      if hgt % 2 or wid % 2:
        raise ValueError(f'pool_keys needs even height and width; got {hgt}x{wid}.')
      f = nn.max_pool(f, (2, 2), (2, 2))
      h = nn.max_pool(h, (2, 2), (2, 2))
    f = f.reshape(b, -1, ck)                  # keys    f(x_i): [b, N_key, C_bar]
    g = g.reshape(b, -1, ck)                  # queries g(x_j): [b, N, C_bar]
    h = h.reshape(b, -1, cv)                  # values  h(x_i): [b, N_key, C_v]
    s = jnp.einsum('bjc,bic->bji', g, f)      # s_ij, laid out [b, j, i]
    beta = jax.nn.softmax(s.astype(jnp.float32), axis=-1).astype(x.dtype)  # over i
    self.sow('intermediates', 'attention', beta)
    o = jnp.einsum('bji,bic->bjc', beta, h).reshape(b, hgt, wid, cv)
    v = nn.Conv(c, (1, 1), use_bias=False, kernel_init=self.kernel_init, name='v')
    o = maybe_spectral_norm(v, o, spectral_norm=self.spectral_norm, update_stats=update_stats)
    gamma = self.param('gamma', nn.initializers.zeros, ())
    return gamma * o + x
