"""The two-dimensional LSTM layers of PixelRNN (van den Oord et al. 2016a, section 3.1-3.2).

Both compute, at every position, the gates of an LSTM from an input-to-state and a
state-to-state convolution (eq. 3),

  [o, f, i, g] = sigma(K^ss * h_prev + K^is * x),   c = f . c_prev + i . g,   h = o . tanh(c)

(sigma is the logistic sigmoid for o, f, i and tanh for g), with

  Row LSTM        one row at a time, top to bottom: K^is a 1 x k convolution of the input row
                  masked to the columns up to the pixel (mask 'B', so it is computed for the
                  whole map at once), K^ss an unmasked 1 x k convolution of the previous row's
                  h, c_prev the cell of the same column one row up. Receptive field: a
                  triangle above the pixel.
  Diagonal LSTM   one diagonal at a time: on the map skewed so that row i moves i columns to the
                  right, K^is is a 1x1 convolution (mask 'B') and K^ss a 2x1 convolution of the
                  previous column of h; in image coordinates the state at (i, j) reads the
                  states at (i-1, j) and (i, j-1), and c_prev is the cell at (i, j-1). States
                  outside the image are zero. The Diagonal BiLSTM runs a second, mirrored
                  direction (reading (i-1, j) and (i, j+1)) and adds its output shifted down one
                  row, so that no future pixel leaks and the layer's context is complete.
                  (In the paper's network the layer inputs come from a mask-'A' convolution,
                  which never carries a pixel's own value: the last pixel of the row above
                  then reaches (i, j) only through that convolution, for j >= W - 1 - k0 // 2;
                  tests/models/test_pixelrnn.py pins this exact receptive field.)

Gate features are laid out [i | f | o | g], each block split into `num_groups` colour groups,
so the mask-'B' input-to-state convolution keeps the R -> G -> B order inside a pixel; the
state-to-state convolutions only read earlier pixels and need no mask.

flax's `LSTMCell` / `OptimizedLSTMCell` compute their gates with dense layers of (x, h) and
`ConvLSTMCell` with one unmasked kernel shared by input and state; the paper's masked
input-to-state and separate state-to-state convolutions do not fit them, so the cell update is
written out here (`lstm_update`).

Cached decoding (`decode`): 'init' makes the caches; 'pixel' computes the state at (row, col)
from the cached neighbours; 'row' (Diagonal BiLSTM only) runs the right-to-left direction over a
finished row.
"""
from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from jaxgen.nn.masked_conv import (MaskedConv2D, color_groups, conv_valid, default_kernel_init,
                                   down_shift)


def lstm_update(gates: jax.Array, c_prev: jax.Array):
  """The LSTM cell update from precomputed gates [..., 4h] = [i | f | o | g] -> (c, h)."""
  i, f, o, g = jnp.split(gates, 4, axis=-1)
  c = jax.nn.sigmoid(f) * c_prev + jax.nn.sigmoid(i) * jnp.tanh(g)
  return c, jax.nn.sigmoid(o) * jnp.tanh(c)


def lstm_gate_groups(features: int, num_groups: int) -> tuple[int, ...]:
  """Colour groups of the 4 * features gate units [i | f | o | g]."""
  return tuple(int(v) for v in np.tile(color_groups(features, num_groups), 4))


def skew(x: jax.Array) -> jax.Array:
  """Shifts row i of [b, H, W, c] right by i: -> [b, H, W + H - 1, c] (zeros elsewhere)."""
  _, height, width, _ = x.shape
  cols = jnp.arange(width + height - 1)[None, :] - jnp.arange(height)[:, None]  # [H, W+H-1]
  valid = (cols >= 0) & (cols < width)
  gathered = jnp.take_along_axis(x, jnp.clip(cols, 0, width - 1)[None, :, :, None], axis=2)
  return jnp.where(valid[None, :, :, None], gathered, 0)


def unskew(x: jax.Array, width: int) -> jax.Array:
  """Inverse of `skew`: [b, H, W + H - 1, c] -> [b, H, W, c]."""
  height = x.shape[1]
  cols = jnp.arange(width)[None, :] + jnp.arange(height)[:, None]             # [H, W]
  return jnp.take_along_axis(x, cols[None, :, :, None], axis=2)


def state_gates(h_up: jax.Array, h_side: jax.Array, kernel: jax.Array) -> jax.Array:
  """K^ss on the two neighbour states: h_up, h_side [..., h], kernel [2, h, 4h] -> [..., 4h]."""
  return h_up @ kernel[0] + h_side @ kernel[1]


def diagonal_lstm(gates_is: jax.Array, kernel: jax.Array) -> jax.Array:
  """One direction of the Diagonal LSTM over a full map (left to right).

  Args:
    gates_is: input-to-state gates [b, H, W, 4h].
    kernel: K^ss [2, h, 4h]: taps on the state one row up (i-1, j) and one column left (i, j-1).
  Returns:
    h [b, H, W, h].
  """
  b, height, width, four_h = gates_is.shape
  hidden = four_h // 4
  skewed = skew(gates_is)                                                  # [b, H, W+H-1, 4h]
  cols = jnp.arange(width + height - 1)[None, :] - jnp.arange(height)[:, None]
  valid = ((cols >= 0) & (cols < width)).astype(gates_is.dtype)            # [H, W+H-1]

  def step(carry, inputs):
    c_prev, h_prev = carry                    # states of skewed column t-1: (i, j-1)
    gates_t, valid_t = inputs                 # [b, H, 4h], [H]
    h_up = jnp.pad(h_prev, ((0, 0), (1, 0), (0, 0)))[:, :height]    # (i-1, j)
    c, h = lstm_update(gates_t + state_gates(h_up, h_prev, kernel), c_prev)
    keep = valid_t[None, :, None]             # states outside the image stay zero
    return (c * keep, h * keep), h * keep

  zeros = jnp.zeros((b, height, hidden), gates_is.dtype)
  _, hs = jax.lax.scan(step, (zeros, zeros), (jnp.moveaxis(skewed, 2, 0), valid.T))
  return unskew(jnp.moveaxis(hs, 0, 2), width)


class RowLSTM(nn.Module):
  """The Row LSTM layer (section 3.1): [b, H, W, c] -> h [b, H, W, features].

  Attributes:
    features: h, the state width (the gates have 4h units).
    kernel_size: k of the 1 x k input-to-state and state-to-state convolutions (3 in the paper).
    num_groups: colour groups of the input-to-state mask.
  """
  features: int
  kernel_size: int = 3
  num_groups: int = 1

  @nn.compact
  def __call__(self, x, *, decode=None, row=0, col=0):
    """x: the layer input (decode='pixel': its value at (row, col), [b, 1, 1, c])."""
    k, hid = self.kernel_size, self.features
    if k % 2 != 1:
      raise ValueError(f'Row LSTM kernel_size must be odd, got {k}.')
    cache = decode is not None
    gates_is = MaskedConv2D(4 * hid, (1, k), mask_type='B', num_groups=self.num_groups,
                            out_groups=lstm_gate_groups(hid, self.num_groups),
                            name='input_to_state')(x, decode=cache, row=row, col=col)
    kernel = self.param('state_to_state', default_kernel_init, (1, k, hid, 4 * hid))
    b = x.shape[0]
    if decode == 'pixel':
      h_map = self.variable('cache', 'h', jnp.zeros, ())    # [b, H + 1, W + k - 1, h]
      c_map = self.variable('cache', 'c', jnp.zeros, ())    # [b, H + 1, W, h]
      window = jax.lax.dynamic_slice(h_map.value, (0, row, col, 0), (b, 1, k, hid))
      c_prev = jax.lax.dynamic_slice(c_map.value, (0, row, col, 0), (b, 1, 1, hid))
      c, h = lstm_update(gates_is + conv_valid(window, kernel), c_prev)
      h_map.value = jax.lax.dynamic_update_slice(h_map.value, h, (0, row + 1, col + k // 2, 0))
      c_map.value = jax.lax.dynamic_update_slice(c_map.value, c, (0, row + 1, col, 0))
      return h

    height, width = x.shape[1:3]

    def step(carry, gates_row):
      c_prev, h_prev = carry                                 # the row above, [b, W, h]
      h_pad = jnp.pad(h_prev, ((0, 0), (k // 2, k // 2), (0, 0)))[:, None]
      c, h = lstm_update(gates_row + conv_valid(h_pad, kernel)[:, 0], c_prev)
      return (c, h), h

    zeros = jnp.zeros((b, width, hid), x.dtype)
    _, hs = jax.lax.scan(step, (zeros, zeros), jnp.moveaxis(gates_is, 1, 0))
    if decode == 'init':
      self.variable('cache', 'h', jnp.zeros, (b, height + 1, width + k - 1, hid), x.dtype)
      self.variable('cache', 'c', jnp.zeros, (b, height + 1, width, hid), x.dtype)
    return jnp.moveaxis(hs, 0, 1)


class DiagonalBiLSTM(nn.Module):
  """The Diagonal BiLSTM layer (section 3.2): [b, H, W, c] -> [b, H, W, features].

  The output is h_left_to_right + down_shift(h_right_to_left).

  Attributes:
    features: h, the state width of each direction.
    num_groups: colour groups of the 1x1 input-to-state masks.
  """
  features: int
  num_groups: int = 1

  @nn.compact
  def __call__(self, x, *, decode=None, row=0, col=0):
    """x: the layer input (decode='pixel': [b, 1, 1, c] at (row, col); 'row': unused)."""
    hid, groups = self.features, self.num_groups
    gate_groups = lstm_gate_groups(hid, groups)
    is_l2r = MaskedConv2D(4 * hid, (1, 1), mask_type='B', num_groups=groups,
                          out_groups=gate_groups, name='input_to_state_l2r')
    is_r2l = MaskedConv2D(4 * hid, (1, 1), mask_type='B', num_groups=groups,
                          out_groups=gate_groups, name='input_to_state_r2l')
    init = nn.initializers.variance_scaling(1.0, 'fan_in', 'normal', in_axis=-2, out_axis=-1,
                                            batch_axis=(0,))
    k_l2r = self.param('state_to_state_l2r', init, (2, hid, 4 * hid))
    k_r2l = self.param('state_to_state_r2l', init, (2, hid, 4 * hid))
    if decode == 'row':
      return self._decode_row(k_r2l)
    gates_l2r, gates_r2l = is_l2r(x), is_r2l(x)
    if decode == 'pixel':
      return self._decode_pixel(gates_l2r[:, 0, 0], gates_r2l[:, 0, 0], k_l2r, row, col)
    h_l2r = diagonal_lstm(gates_l2r, k_l2r)
    h_r2l = diagonal_lstm(gates_r2l[:, :, ::-1], k_r2l)[:, :, ::-1]
    if decode == 'init':
      b, height, width, _ = x.shape
      self.variable('cache', 'h_l2r', jnp.zeros, (b, height + 1, width + 1, hid), x.dtype)
      self.variable('cache', 'c_l2r', jnp.zeros, (b, height, width + 1, hid), x.dtype)
      self.variable('cache', 'h_r2l', jnp.zeros, (b, width, hid), x.dtype)
      self.variable('cache', 'gates_r2l', jnp.zeros, (b, width, 4 * hid), x.dtype)
    return h_l2r + down_shift(h_r2l)

  def _decode_pixel(self, gates, gates_r2l, kernel, row, col):
    """Left-to-right state at (row, col) plus the right-to-left state of (row - 1, col)."""
    h_map, c_map = self.variable('cache', 'h_l2r', None), self.variable('cache', 'c_l2r', None)
    h_r2l, g_r2l = self.variable('cache', 'h_r2l', None), self.variable('cache', 'gates_r2l', None)
    b, hid = gates.shape[0], self.features
    g_r2l.value = jax.lax.dynamic_update_slice(g_r2l.value, gates_r2l[:, None], (0, col, 0))
    h_up = jax.lax.dynamic_slice(h_map.value, (0, row, col + 1, 0), (b, 1, 1, hid))[:, 0, 0]
    h_left = jax.lax.dynamic_slice(h_map.value, (0, row + 1, col, 0), (b, 1, 1, hid))[:, 0, 0]
    c_left = jax.lax.dynamic_slice(c_map.value, (0, row, col, 0), (b, 1, 1, hid))[:, 0, 0]
    c, h = lstm_update(gates + state_gates(h_up, h_left, kernel), c_left)
    h_map.value = jax.lax.dynamic_update_slice(h_map.value, h[:, None, None],
                                               (0, row + 1, col + 1, 0))
    c_map.value = jax.lax.dynamic_update_slice(c_map.value, c[:, None, None], (0, row, col + 1, 0))
    above = jax.lax.dynamic_slice(h_r2l.value, (0, col, 0), (b, 1, hid))[:, 0]
    return (h + above)[:, None, None]

  def _decode_row(self, kernel):
    """Runs the right-to-left direction over the finished row (its gates were cached)."""
    h_r2l, g_r2l = self.variable('cache', 'h_r2l', None), self.variable('cache', 'gates_r2l', None)

    def step(carry, inputs):
      c_right, h_right = carry
      gates, h_up = inputs
      c, h = lstm_update(gates + state_gates(h_up, h_right, kernel), c_right)
      return (c, h), h

    b, width, hid = h_r2l.value.shape
    zeros = jnp.zeros((b, hid), h_r2l.value.dtype)
    _, hs = jax.lax.scan(step, (zeros, zeros), (jnp.moveaxis(g_r2l.value, 1, 0),
                                                jnp.moveaxis(h_r2l.value, 1, 0)), reverse=True)
    h_r2l.value = jnp.moveaxis(hs, 0, 1)
    return None
