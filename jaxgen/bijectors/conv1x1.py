"""Invertible 1x1 convolution (Kingma & Dhariwal 2018, "Glow", s.3.2, table 1).

A learned C x C matrix W applied to the channels of every position (a generalised
permutation of the channels):

  forward:          y[i, j] = W x[i, j]
  inverse:          x[i, j] = W^{-1} y[i, j]
  forward log-det:  h * w * log|det W|
  inverse log-det:  -h * w * log|det W|

Computing log|det W| costs O(C^3); `Conv1x1LU` is the O(C) LU-decomposed version.
"""
from __future__ import annotations

import distrax
import jax
import jax.numpy as jnp

from jaxgen.bijectors import _utils


def _check_square(w, name):
  if w.ndim != 2 or w.shape[0] != w.shape[1]:
    raise ValueError(f'{name} needs a square [C, C] weight; got shape {w.shape}.')


def _check_channels(x, c, name):
  if x.shape[-1] != c:
    raise ValueError(f'{name} has {c} channels; input has {x.shape[-1]} (shape {x.shape}).')


class Conv1x1(distrax.Bijector):
  """y = W x at every position; event [..., C] (event_ndims 3 for images, 1 for vectors).

  Args:
    weight: W, [C, C], invertible.
    event_ndims: the event rank (default 3).
  """

  def __init__(self, weight: jax.Array, event_ndims: int = 3):
    _utils.check_event_ndims(event_ndims, 1, 'Conv1x1')
    _check_square(weight, 'Conv1x1')
    super().__init__(event_ndims_in=event_ndims, is_constant_jacobian=True)
    self._weight = weight

  @property
  def weight(self):
    return self._weight

  def _log_det(self, x):
    _check_channels(x, self._weight.shape[0], 'Conv1x1')
    n = _utils.pixels(x.shape, self.event_ndims_in)
    ld = n * jnp.linalg.slogdet(self._weight)[1]
    return jnp.broadcast_to(ld, x.shape[:x.ndim - self.event_ndims_in])

  def forward_and_log_det(self, x):
    """x: [..., *event] -> (x W^T, h*w*log|det W|)."""
    self._check_forward_input_shape(x)
    ld = self._log_det(x)              # checks the channel count before the product
    return x @ self._weight.T, ld

  def inverse_and_log_det(self, y):
    """y: [..., *event] -> (y W^{-T}, -h*w*log|det W|)."""
    self._check_inverse_input_shape(y)
    ld = self._log_det(y)
    return y @ jnp.linalg.inv(self._weight).T, -ld


def random_rotation(key: jax.Array, channels: int) -> jax.Array:
  """Glow's initialisation of W: a random orthogonal [C, C] matrix (log|det W| = 0)."""
  q, r = jnp.linalg.qr(jax.random.normal(key, (channels, channels)))
  return q * jnp.sign(jnp.diag(r))[None, :]
