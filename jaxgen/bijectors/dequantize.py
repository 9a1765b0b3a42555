"""Uniform dequantization (Theis et al. 2016, "A note on the evaluation of generative models").

Discrete pixels k in {0, ..., 2^b - 1} get uniform noise, v = k + u with u ~ U[0, 1)^D
(`uniform_noise`), and a continuous density p on [0, 2^b)^D then bounds the discrete one:
log P(k) >= E_u log p(k + u). The bijector is the rescaling that lets a flow defined on
[0, 1) give that density in pixel space:

  forward:          y = v / 2^b                       (pixel space [0, 2^b) -> [0, 1))
  inverse:          v = 2^b y
  forward log-det:  -D * b * log 2                    (D = number of event elements)
  inverse log-det:  +D * b * log 2

so bits/dim = -log p(v) / (D log 2) with p the density in pixel space, as the papers report.
In a sampling-direction chain (latent -> pixels) use `distrax.Inverse(Dequantize())`.

The log-det is a float even for integer pixels (uint8, int32): in the input's dtype when
that is floating (float64 stays float64), else the default float (float32 unless x64 is on),
so integer and float pixels with the same values get the same log-det.
"""
from __future__ import annotations

import math

import distrax
import jax
import jax.numpy as jnp

from jaxgen.bijectors import _utils


class Dequantize(distrax.Bijector):
  """y = v / 2^num_bits: dequantized pixel values [0, 2^b) to [0, 1), with its log-det.

  Args:
    num_bits: b (8 for 256 grey levels).
    event_ndims: the event rank (3 for images [h, w, c]).
  """

  def __init__(self, num_bits: int = 8, event_ndims: int = 3):
    if not isinstance(num_bits, int) or num_bits < 1:
      raise ValueError(f'Dequantize num_bits must be a positive integer; got {num_bits!r}.')
    _utils.check_event_ndims(event_ndims, 0, 'Dequantize')
    super().__init__(event_ndims_in=event_ndims, is_constant_jacobian=True)
    self._num_bits = num_bits

  @property
  def num_bits(self) -> int:
    return self._num_bits

  def _log_det(self, x):
    """-D b log 2 over the batch shape: in x's dtype if floating, else the default float."""
    size = math.prod(x.shape[x.ndim - self.event_ndims_in:])
    dtype = x.dtype if jnp.issubdtype(x.dtype, jnp.floating) else jnp.result_type(float)
    return jnp.full(x.shape[:x.ndim - self.event_ndims_in],
                    -size * self._num_bits * math.log(2.0), dtype)

  def forward_and_log_det(self, v):
    """v: [..., *event] in [0, 2^b) -> (v / 2^b, -D b log 2)."""
    self._check_forward_input_shape(v)
    return v / 2.0 ** self._num_bits, self._log_det(v)

  def inverse_and_log_det(self, y):
    """y: [..., *event] in [0, 1) -> (2^b y, D b log 2)."""
    self._check_inverse_input_shape(y)
    return y * 2.0 ** self._num_bits, -self._log_det(y)


def uniform_noise(key: jax.Array, pixels: jax.Array, dtype=jnp.float32) -> jax.Array:
  """v = k + u, u ~ U[0, 1): dequantized copies of integer pixels k (any shape)."""
  return jnp.asarray(pixels, dtype) + jax.random.uniform(key, jnp.shape(pixels), dtype)
