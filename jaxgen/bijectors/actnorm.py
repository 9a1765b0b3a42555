"""Activation normalization, ActNorm (Kingma & Dhariwal 2018, "Glow", s.3.1, table 1).

A per-channel affine map with log-scale s and bias b, shared over the h x w positions:

  forward (sampling direction):  y = x * exp(s) + b
  inverse (density direction):   x = (y - b) * exp(-s)
  forward log-det:               h * w * sum(s)
  inverse log-det:               -h * w * sum(s)

Data-dependent initialisation: `data_init(x)` returns (s, b) such that `inverse` maps the
minibatch x to zero mean and unit variance per channel (the paper's init, written in
distrax's sampling direction, where the density pass is the inverse).
"""
from __future__ import annotations

import distrax
import jax
import jax.numpy as jnp

from jaxgen.bijectors import _utils


class ActNorm(distrax.Bijector):
  """y = x * exp(log_scale) + bias, per channel (last axis).

  Args:
    log_scale: s, [C].
    bias: b, [C].
    event_ndims: the event rank (3 for images [h, w, C], 1 for vectors [C]).
  """

  def __init__(self, log_scale: jax.Array, bias: jax.Array, event_ndims: int = 3):
    _utils.check_event_ndims(event_ndims, 1, 'ActNorm')
    if jnp.shape(log_scale) != jnp.shape(bias) or jnp.ndim(log_scale) != 1:
      raise ValueError(f'ActNorm needs log_scale and bias of shape [C]; got '
                       f'{jnp.shape(log_scale)} and {jnp.shape(bias)}.')
    super().__init__(event_ndims_in=event_ndims, is_constant_jacobian=True)
    self._log_scale, self._bias = log_scale, bias

  def _log_det(self, x):
    channels = x.shape[-1]
    if channels != self._log_scale.shape[-1]:
      raise ValueError(f'ActNorm has {self._log_scale.shape[-1]} channels; input has '
                       f'{channels} (shape {x.shape}).')
    n = _utils.pixels(x.shape, self.event_ndims_in)
    return jnp.broadcast_to(n * jnp.sum(self._log_scale), x.shape[:x.ndim - self.event_ndims_in])

  def forward_and_log_det(self, x):
    """x: [..., *event] -> (x * exp(s) + b, h*w*sum(s))."""
    self._check_forward_input_shape(x)
    ld = self._log_det(x)
    return x * jnp.exp(self._log_scale) + self._bias, ld

  def inverse_and_log_det(self, y):
    """y: [..., *event] -> ((y - b) * exp(-s), -h*w*sum(s))."""
    self._check_inverse_input_shape(y)
    ld = self._log_det(y)
    return (y - self._bias) * jnp.exp(-self._log_scale), -ld


def data_init(x: jax.Array, eps: float = 1e-6) -> tuple[jax.Array, jax.Array]:
  """Glow's data-dependent init from a minibatch x [..., C]: (log_scale, bias) = (log std, mean).

  With these, `ActNorm(log_scale, bias).inverse(x)` has zero mean and unit variance per
  channel over all leading axes.
  """
  axes = tuple(range(x.ndim - 1))
  mean = jnp.mean(x, axis=axes)
  std = jnp.sqrt(jnp.mean(jnp.square(x - mean), axis=axes) + eps)
  return jnp.log(std), mean
