"""Masked 2-D convolutions of the PixelCNN family (van den Oord et al. 2016a, section 3.4).

Pixels are generated in raster order and, inside a pixel, channel by channel (R, then G,
then B). A convolution stays autoregressive when its kernel is zero on every tap *after* the
anchor (the tap that lands on the output position) in raster order. At the anchor itself the
feature maps are split into `num_groups` colour groups (one per data channel, contiguous
blocks of features) and

  mask 'A':  output group g sees input groups g' <  g   (first layer: a colour never sees
                                                          itself),
  mask 'B':  output group g sees input groups g' <= g   (later layers: it sees its own group,
                                                          which already excludes itself).

With one group (greyscale data, or PixelCNN++'s joint pixel outputs) mask 'A' drops the anchor
tap and mask 'B' keeps it whole. `mask_type=None` leaves the kernel unmasked (the Gated
PixelCNN's vertical stack and PixelRNN's state-to-state convolutions, which are made causal by
their anchor and a shift instead).

Cached decoding (Ramachandran et al. 2017, "Fast generation for convolutional autoregressive
models"): with `decode=True`, the first call on a full map creates a zero cache of the padded
input; later calls take one pixel ([b, 1, 1, c]) or one row ([b, 1, w, c]) of the layer's
input, write it into the cache at (row, col) and convolve only the window that the new outputs
need, so a sampler recomputes only what a new pixel changes. The first layer reads its window
straight from the image being sampled (pass the full map).

Kernels are laid out [kh, kw, in, out] (HWIO), maps [batch, height, width, channels].
"""
from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

MASK_TYPES = ('A', 'B', None)

# LeCun-normal scaling with an untruncated normal: the same variance as flax's default
# `lecun_normal`, and far cheaper for XLA to compile than the truncated normal.
default_kernel_init = nn.initializers.variance_scaling(1.0, 'fan_in', 'normal')


def color_groups(num_features: int, num_groups: int) -> np.ndarray:
  """The colour group of every feature: contiguous blocks, int [num_features].

  With `num_features == num_groups` (the image itself) feature c is in group c.
  """
  if num_groups < 1:
    raise ValueError(f'num_groups must be >= 1, got {num_groups}.')
  if num_features % num_groups:
    raise ValueError(f'{num_features} features cannot be split into {num_groups} colour '
                     f'groups: use a multiple of {num_groups}.')
  return np.arange(num_features) // (num_features // num_groups)


def padding_for(kernel_size: Sequence[int], anchor: Sequence[int]):
  """Zero padding ((top, bottom), (left, right)) that puts the anchor tap on the output."""
  (kh, kw), (ai, aj) = kernel_size, anchor
  return ((ai, kh - 1 - ai), (aj, kw - 1 - aj))


def conv_mask(kernel_size: Sequence[int], anchor: Sequence[int], in_groups: np.ndarray,
              out_groups: np.ndarray, mask_type: str | None) -> np.ndarray:
  """The 0/1 mask of a causal kernel, float32 [kh, kw, in, out].

  Args:
    kernel_size: (kh, kw).
    anchor: the tap (ai, aj) that lands on the output position.
    in_groups, out_groups: colour group of every input / output feature.
    mask_type: 'A', 'B' (raster-causal, channel mask at the anchor) or None (all ones).
  """
  if mask_type not in MASK_TYPES:
    raise ValueError(f'Unknown mask_type {mask_type!r}; valid: {MASK_TYPES}.')
  kh, kw = kernel_size
  ai, aj = anchor
  if not (0 <= ai < kh and 0 <= aj < kw):
    raise ValueError(f'anchor {tuple(anchor)} lies outside the kernel {tuple(kernel_size)}.')
  in_groups, out_groups = np.asarray(in_groups), np.asarray(out_groups)
  mask = np.ones((kh, kw, len(in_groups), len(out_groups)), np.float32)
  if mask_type is None:
    return mask
  rows, cols = np.meshgrid(np.arange(kh), np.arange(kw), indexing='ij')
  after = (rows > ai) | ((rows == ai) & (cols > aj))
  mask[after] = 0.0
  if mask_type == 'A':
    centre = in_groups[:, None] < out_groups[None, :]
  else:
    centre = in_groups[:, None] <= out_groups[None, :]
  mask[ai, aj] = centre.astype(np.float32)
  return mask


def down_shift(x: jax.Array, rows: int = 1) -> jax.Array:
  """Shifts a map down by `rows` (zeros enter at the top): [b, h, w, c] -> [b, h, w, c]."""
  return jnp.pad(x, ((0, 0), (rows, 0), (0, 0), (0, 0)))[:, :x.shape[1]]


def conv_valid(x: jax.Array, kernel: jax.Array) -> jax.Array:
  """A stride-1 'VALID' convolution: x [b, h, w, in], kernel [kh, kw, in, out]."""
  return jax.lax.conv_general_dilated(
      x, kernel, window_strides=(1, 1), padding='VALID',
      dimension_numbers=('NHWC', 'HWIO', 'NHWC'))


class MaskedConv2D(nn.Module):
  """A causal (masked) 2-D convolution, stride 1, output the size of the input.

  Attributes:
    features: output channels.
    kernel_size: (kh, kw).
    mask_type: 'A', 'B' or None (see the module docstring).
    anchor: the tap that lands on the output position; the kernel centre by default
      (a (k//2+1) x k vertical-stack kernel uses (k//2, k//2): the current row is its last).
    num_groups: colour groups (data channels) of the channel mask.
    in_groups, out_groups: explicit colour group of every input / output feature, for
      layouts that are not contiguous blocks (e.g. gates [tanh half, sigmoid half]).
    use_bias: add a bias.
  """
  features: int
  kernel_size: tuple[int, int] = (3, 3)
  mask_type: str | None = 'B'
  anchor: tuple[int, int] | None = None
  num_groups: int = 1
  in_groups: tuple[int, ...] | None = None
  out_groups: tuple[int, ...] | None = None
  use_bias: bool = True
  kernel_init: nn.initializers.Initializer = default_kernel_init

  @property
  def anchor_tap(self) -> tuple[int, int]:
    kh, kw = self.kernel_size
    return tuple(self.anchor) if self.anchor is not None else (kh // 2, kw // 2)

  def mask(self, in_features: int) -> np.ndarray:
    """The kernel mask [kh, kw, in_features, features]."""
    in_groups = (np.asarray(self.in_groups) if self.in_groups is not None
                 else color_groups(in_features, self.num_groups))
    out_groups = (np.asarray(self.out_groups) if self.out_groups is not None
                  else color_groups(self.features, self.num_groups))
    if len(in_groups) != in_features or len(out_groups) != self.features:
      raise ValueError(f'{self.name}: in_groups/out_groups have {len(in_groups)}/'
                       f'{len(out_groups)} entries for {in_features} inputs and '
                       f'{self.features} outputs.')
    return conv_mask(self.kernel_size, self.anchor_tap, in_groups, out_groups, self.mask_type)

  @nn.compact
  def __call__(self, x: jax.Array, *, decode: bool = False, row=0, col=0,
               width: int | None = None) -> jax.Array:
    """Applies the convolution.

    Args:
      x: a full map [b, h, w, in]. When decoding with an initialised cache, either one pixel
        [b, 1, 1, in] or one row [b, 1, w, in] that is written into the cache at (row, col),
        or the full map again (e.g. the image being sampled), read directly.
      decode: use the input cache (see the module docstring).
      row, col: the first output position when decoding (traced ints are fine).
      width: output positions (from col on) when decoding from the full map; default 1.
    Returns:
      [b, h, w, features]; when decoding, the outputs [b, 1, width, features] at
      (row, col .. col + width - 1).
    """
    if x.ndim != 4:
      raise ValueError(f'{self.name}: expected [batch, height, width, channels], got shape '
                       f'{x.shape}.')
    kernel = self.param('kernel', self.kernel_init,
                        tuple(self.kernel_size) + (x.shape[-1], self.features))
    kernel = kernel * jnp.asarray(self.mask(x.shape[-1]), kernel.dtype)
    bias = (self.param('bias', nn.initializers.zeros_init(), (self.features,))
            if self.use_bias else None)
    pad = padding_for(self.kernel_size, self.anchor_tap)
    if decode:
      initialised = self.has_variable('cache', 'input')
      padded_shape = (x.shape[0], x.shape[1] + sum(pad[0]), x.shape[2] + sum(pad[1]),
                      x.shape[3])
      cache = self.variable('cache', 'input', jnp.zeros, padded_shape, x.dtype)
      if initialised:
        y = conv_valid(self._decode_window(x, cache, pad, row, col, width), kernel)
        return y + bias if bias is not None else y
    y = conv_valid(jnp.pad(x, ((0, 0),) + pad + ((0, 0),)), kernel)
    return y + bias if bias is not None else y

  def _decode_window(self, x, cache, pad, row, col, width):
    """The padded input window [b, kh, width + kw - 1, in] under outputs (row, col...)."""
    b, hp, wp, c = cache.value.shape
    full = (hp - sum(pad[0]), wp - sum(pad[1]))
    if x.shape[0] != b or x.shape[3] != c:
      raise ValueError(f'{self.name}: decoding input {x.shape} does not match the cache '
                       f'[{b}, ..., {c}].')
    if tuple(x.shape[1:3]) == full:
      source, width = jnp.pad(x, ((0, 0),) + pad + ((0, 0),)), width or 1
    elif x.shape[1] == 1:
      width = x.shape[2]
      cache.value = jax.lax.dynamic_update_slice(
          cache.value, x.astype(cache.value.dtype), (0, row + pad[0][0], col + pad[1][0], 0))
      source = cache.value
    else:
      raise ValueError(f'{self.name}: a decoding step takes one pixel or row [{b}, 1, w, {c}] '
                       f'or the full map [{b}, {full[0]}, {full[1]}, {c}], got {x.shape}.')
    kh, kw = self.kernel_size
    return jax.lax.dynamic_slice(source, (0, row, col, 0), (b, kh, width + kw - 1, c))
