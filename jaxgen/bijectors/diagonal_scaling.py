"""NICE's diagonal scaling layer (Dinh et al. 2015, "NICE", s.3.3).

The top layer of NICE multiplies output i by S_ii = exp(s_i):

  forward:          y = exp(s) * x
  inverse:          x = exp(-s) * y
  forward log-det:  sum_i s_i            (summed over the event, s broadcast to it)
  inverse log-det:  -sum_i s_i
"""
from __future__ import annotations

import distrax
import jax
import jax.numpy as jnp

from jaxgen.bijectors import _utils


class DiagonalScaling(distrax.Bijector):
  """y = exp(log_scale) * x, element-wise.

  Args:
    log_scale: s, broadcastable to the event shape (e.g. [D], or [C] per channel).
    event_ndims: the event rank (default 1).
  """

  def __init__(self, log_scale: jax.Array, event_ndims: int = 1):
    _utils.check_event_ndims(event_ndims, 0, 'DiagonalScaling')
    super().__init__(event_ndims_in=event_ndims, is_constant_jacobian=True)
    self._log_scale = log_scale

  @property
  def log_scale(self):
    return self._log_scale

  def _log_det(self, x):
    return _utils.sum_last(jnp.broadcast_to(self._log_scale, x.shape), self.event_ndims_in)

  def forward_and_log_det(self, x):
    """x: [..., *event] -> (exp(s) x, sum s)."""
    self._check_forward_input_shape(x)
    return x * jnp.exp(self._log_scale), self._log_det(x)

  def inverse_and_log_det(self, y):
    """y: [..., *event] -> (exp(-s) y, -sum s)."""
    self._check_inverse_input_shape(y)
    return y * jnp.exp(-self._log_scale), -self._log_det(y)
