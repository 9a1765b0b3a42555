"""Permutation of the last axis: reversal (NICE, MAF) or a fixed random order (Glow's baseline).

  forward:   y[..., i] = x[..., perm[i]]
  inverse:   x[..., perm[i]] = y[..., i],  i.e. x = y[..., argsort(perm)]
  log-dets:  0 both ways (|det| of a permutation matrix is 1)

Stacked autoregressive or coupling layers alternate which elements condition which; Glow
compares the reversal and the fixed shuffle against its learned 1x1 convolution (s.3.2).
"""
from __future__ import annotations

import distrax
import jax
import jax.numpy as jnp
import numpy as np

from jaxgen.bijectors import _utils


class Permute(distrax.Bijector):
  """Permutes the last axis of the event by a fixed integer permutation.

  Args:
    permutation: int [C], a permutation of 0..C-1.
    event_ndims: the event rank (default 1; 3 permutes the channels of images).
  """

  def __init__(self, permutation, event_ndims: int = 1):
    _utils.check_event_ndims(event_ndims, 1, 'Permute')
    if not isinstance(permutation, jax.core.Tracer):
      perm = np.asarray(permutation)
      if perm.ndim != 1 or not np.array_equal(np.sort(perm), np.arange(perm.shape[0])):
        raise ValueError(f'Permute needs a permutation of 0..C-1; got {perm.tolist()}.')
      permutation = perm
    super().__init__(event_ndims_in=event_ndims, is_constant_jacobian=True)
    self._permutation = permutation
    self._inverse_permutation = jnp.argsort(jnp.asarray(permutation))

  @property
  def permutation(self):
    return self._permutation

  def _check(self, x):
    if x.shape[-1] != self._permutation.shape[0]:
      raise ValueError(f'Permute acts on {self._permutation.shape[0]} elements; input has '
                       f'{x.shape[-1]} (shape {x.shape}).')
    return jnp.zeros(x.shape[:x.ndim - self.event_ndims_in], x.dtype)

  def forward_and_log_det(self, x):
    """x: [..., *event] -> (x[..., perm], 0)."""
    self._check_forward_input_shape(x)
    return jnp.take(x, jnp.asarray(self._permutation), axis=-1), self._check(x)

  def inverse_and_log_det(self, y):
    """y: [..., *event] -> (y[..., argsort(perm)], 0)."""
    self._check_inverse_input_shape(y)
    return jnp.take(y, self._inverse_permutation, axis=-1), self._check(y)


def reverse_permutation(num: int) -> np.ndarray:
  """[num-1, ..., 0]: the reversal used between MAF / NICE layers."""
  return np.arange(num)[::-1].copy()


def random_permutation(key: jax.Array, num: int) -> jax.Array:
  """A fixed random shuffle of 0..num-1 drawn from `key`, int32 [num]."""
  return jax.random.permutation(key, num)
