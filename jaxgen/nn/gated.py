"""Gated PixelCNN layers (van den Oord et al. 2016b, "Conditional Image Generation with
PixelCNN Decoders", section 2.2-2.3 and Figure 2).

One layer has two stacks:

  vertical stack    a (k//2+1) x k convolution over the rows above and the current row,
                    v_pre = W_v * v   (2p features),   v' = tanh(v_pre_f) * sigmoid(v_pre_g);
  horizontal stack  a 1 x (k//2+1) masked convolution over the current row up to the pixel,
                    plus the vertical stack shifted down one row through a 1x1 convolution,
                    h_pre = W_h * h + V_link * shift_down(v_pre),
                    y = tanh(h_pre_f) * sigmoid(h_pre_g)                         (eq. 2)
                    h' = h + W_res * y (residual; not in the first layer),
                    skip = W_skip * y.

Because the vertical stack at row i only reaches the horizontal stack of row i+1, every pixel
above and to the left is in the receptive field: PixelCNN's blind spot is gone.

Conditioning (section 2.3) adds to both gates of both stacks
  global:   V_f^T h, V_g^T h        for a vector h (a class one-hot or an embedding), eq. 4;
  spatial:  V_f * s, V_g * s        1x1 convolutions of a map s = m(h) of the image's size, eq. 5.

Features are laid out [tanh half | sigmoid half], each half split into `num_groups` colour
groups, so the horizontal stack keeps the R -> G -> B channel order of PixelCNN.
"""
from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from jaxgen.nn.masked_conv import MaskedConv2D, color_groups, default_kernel_init, down_shift


def gated_activation(x: jax.Array) -> jax.Array:
  """tanh(x_f) * sigmoid(x_g) with x = [x_f | x_g] on the last axis: [..., 2p] -> [..., p]."""
  if x.shape[-1] % 2:
    raise ValueError(f'The gated activation needs an even number of features, got {x.shape}.')
  f, g = jnp.split(x, 2, axis=-1)
  return jnp.tanh(f) * jax.nn.sigmoid(g)


def gate_groups(features: int, num_groups: int) -> tuple[int, ...]:
  """Colour groups of a [tanh | sigmoid] gate pair with `features` units per half."""
  g = color_groups(features, num_groups)
  return tuple(int(v) for v in np.concatenate([g, g]))


class GatedLayer(nn.Module):
  """One layer of the Gated PixelCNN: vertical and horizontal stacks (Figure 2).

  Attributes:
    features: p, the width of both stacks (the gates have 2p units).
    kernel_size: k; the vertical kernel is (k//2+1) x k, the horizontal 1 x (k//2+1).
    first: the first layer: mask 'A' in the horizontal stack and no residual connection.
    skip_features: width of the skip connection (0: no skip output).
    num_groups: colour groups of the channel mask (the number of data channels, or 1).
  """
  features: int
  kernel_size: int = 3
  first: bool = False
  skip_features: int = 0
  num_groups: int = 1

  @nn.compact
  def __call__(self, v, h, cond=None, spatial=None, *, decode=None, row=0, col=0):
    """Full maps, or one decoding phase.

    Args:
      v, h: vertical and horizontal stack inputs [b, H, W, c] (the image in the first layer).
      cond: global conditioning vector [b, d], or None.
      spatial: spatial conditioning map [b, H, W, d_s], or None.
      decode: None (full maps), 'init' (full maps, creates the caches), 'row' (v is row `row`
        of the vertical input, [b, 1, W, c], or in the first layer the whole image; updates the
        vertical stack and the link that row row+1 of the horizontal stack uses; returns
        (v_row, None, None)), or 'pixel' (h is the horizontal input at (row, col),
        [b, 1, 1, c], or in the first layer the whole image; v is ignored; spatial is the
        map's value at that pixel).
    Returns:
      (v', h', skip): the next layer's stack inputs and the skip output ([b, H, W, ...]).
    """
    k, p = self.kernel_size, self.features
    if k % 2 != 1 or k < 1:
      raise ValueError(f'Gated PixelCNN kernel_size must be odd, got {k}.')
    groups = gate_groups(p, self.num_groups)
    in_groups_h = None
    if self.first:
      in_groups_h = tuple(int(g) for g in color_groups(h.shape[-1], self.num_groups))
    vertical = MaskedConv2D(2 * p, (k // 2 + 1, k), mask_type=None, anchor=(k // 2, k // 2),
                            name='vertical')
    link = MaskedConv2D(2 * p, (1, 1), mask_type=None, use_bias=False, name='link')
    horizontal = MaskedConv2D(2 * p, (1, k // 2 + 1), mask_type='A' if self.first else 'B',
                              anchor=(0, k // 2), in_groups=in_groups_h, out_groups=groups,
                              num_groups=self.num_groups, name='horizontal')
    cache = decode is not None

    def conditioning(stack: str):
      """V^T h (eq. 4) plus V * s (eq. 5) for the gates of one stack; 0 without conditioning."""
      out = 0.0
      if cond is not None:
        out = nn.Dense(2 * p, use_bias=False, kernel_init=default_kernel_init,
                       name=f'cond_{stack}')(cond)[:, None, None, :]
      if spatial is not None:
        out = out + MaskedConv2D(2 * p, (1, 1), mask_type=None, use_bias=False,
                                 name=f'spatial_{stack}')(spatial)
      return out

    if decode == 'row':
      v_pre = vertical(v, decode=True, row=row, col=0, width=v.shape[2])
      v_pre = v_pre + conditioning('v')
      link_row = self.variable('cache', 'link_row', jnp.zeros, ())
      link_row.value = link(v_pre)[:, 0]          # row `row` of the vertical stack ...
      return gated_activation(v_pre), None, None  # ... feeds row `row + 1` horizontally.

    if decode == 'pixel':
      link_row = self.variable('cache', 'link_row', jnp.zeros, ())
      h_pre = horizontal(h, decode=True, row=row, col=col)
      h_pre = h_pre + jax.lax.dynamic_slice_in_dim(link_row.value, col, 1, axis=1)[:, None]
      v_out = None
    else:
      v_pre = vertical(v, decode=cache)
      v_pre = v_pre + conditioning('v')
      v_out = gated_activation(v_pre)
      link_map = link(v_pre)
      if decode == 'init':
        link_row = self.variable('cache', 'link_row', jnp.zeros, link_map[:, 0].shape)
      h_pre = horizontal(h, decode=cache) + down_shift(link_map)
    h_pre = h_pre + conditioning('h')
    y = gated_activation(h_pre)
    h_out = MaskedConv2D(p, (1, 1), mask_type='B', num_groups=self.num_groups,
                         name='residual')(y)
    if not self.first:
      h_out = h_out + h
    skip = None
    if self.skip_features:
      skip = MaskedConv2D(self.skip_features, (1, 1), mask_type='B',
                          num_groups=self.num_groups, name='skip')(y)
    return v_out, h_out, skip
