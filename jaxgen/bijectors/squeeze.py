"""Squeeze (space-to-depth), RealNVP's multi-scale reshaping (Dinh et al. 2017, s.3.6, fig. 3).

Each f x f block of pixels becomes f^2 channels:

  forward:  x [h, w, c] -> y [h/f, w/f, f*f*c],  y[i, j, (a*f + b)*c + k] = x[i*f + a, j*f + b, k]
  inverse:  the depth-to-space rearrangement back
  log-dets: 0 both ways (a permutation of the elements)

In a sampling-direction chain (latent -> image) use `distrax.Inverse(Squeeze())`.
"""
from __future__ import annotations

import distrax
import jax
import jax.numpy as jnp


class Squeeze(distrax.Bijector):
  """Space-to-depth on images [..., h, w, c] -> [..., h/f, w/f, f*f*c].

  Args:
    factor: f; h and w must be divisible by it.
  """

  def __init__(self, factor: int = 2):
    if not isinstance(factor, int) or factor < 1:
      raise ValueError(f'Squeeze factor must be a positive integer; got {factor!r}.')
    super().__init__(event_ndims_in=3, is_constant_jacobian=True)
    self._factor = factor

  @property
  def factor(self) -> int:
    return self._factor

  def forward_and_log_det(self, x: jax.Array):
    """x: [..., h, w, c] -> ([..., h/f, w/f, f*f*c], 0)."""
    self._check_forward_input_shape(x)
    f = self._factor
    *batch, h, w, c = x.shape
    if h % f or w % f:
      raise ValueError(f'Squeeze(factor={f}) needs height and width divisible by {f}; '
                       f'got an image of shape {(h, w, c)}.')
    y = x.reshape(*batch, h // f, f, w // f, f, c)
    y = jnp.swapaxes(y, -4, -3).reshape(*batch, h // f, w // f, f * f * c)
    return y, jnp.zeros(tuple(batch), x.dtype)

  def inverse_and_log_det(self, y: jax.Array):
    """y: [..., h, w, c] -> ([..., h*f, w*f, c/(f*f)], 0)."""
    self._check_inverse_input_shape(y)
    f = self._factor
    *batch, h, w, c = y.shape
    if c % (f * f):
      raise ValueError(f'Inverse of Squeeze(factor={f}) needs channels divisible by {f * f}; '
                       f'got shape {(h, w, c)}.')
    x = y.reshape(*batch, h, w, f, f, c // (f * f))
    x = jnp.swapaxes(x, -4, -3).reshape(*batch, h * f, w * f, c // (f * f))
    return x, jnp.zeros(tuple(batch), y.dtype)
