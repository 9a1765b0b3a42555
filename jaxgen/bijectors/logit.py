"""The logit transform of RealNVP's preprocessing, as a bijector (Dinh et al. 2017, s.4.1).

Pixel intensities x in [0, 1] are mapped to the real line, keeping away from 0 and 1 by
alpha (0.05 for MNIST-like images in RealNVP, 1e-6 in MAF):

  p = alpha + (1 - 2 alpha) x
  forward:          y = logit(p) = log p - log(1 - p)
  inverse:          x = (sigmoid(y) - alpha) / (1 - 2 alpha)
  forward log-det:  sum [log(1 - 2 alpha) - log p - log(1 - p)]
  inverse log-det:  sum [-log(1 - 2 alpha) + log sigmoid(y) + log sigmoid(-y)]

In a sampling-direction chain (latent -> pixels) use `distrax.Inverse(Logit(alpha))`, so the
density of x in [0, 1] counts this log-det; `jaxgen.data.transforms.logit` is the numpy
version used by data pipelines.
"""
from __future__ import annotations

import math

import distrax
import jax
import jax.numpy as jnp

from jaxgen.bijectors import _utils


class Logit(distrax.Bijector):
  """y = logit(alpha + (1 - 2 alpha) x), element-wise on x in [0, 1].

  Args:
    alpha: in [0, 0.5).
    event_ndims: the event rank the log-det sums over (default 0).
  """

  def __init__(self, alpha: float = 0.05, event_ndims: int = 0):
    if not 0.0 <= float(alpha) < 0.5:
      raise ValueError(f'Logit alpha must be in [0, 0.5); got {alpha}.')
    _utils.check_event_ndims(event_ndims, 0, 'Logit')
    super().__init__(event_ndims_in=event_ndims)
    self._alpha = float(alpha)

  @property
  def alpha(self) -> float:
    return self._alpha

  def forward_and_log_det(self, x):
    """x: [..., *event] in [0, 1] -> (y, log|dy/dx|)."""
    self._check_forward_input_shape(x)
    p = self._alpha + (1 - 2 * self._alpha) * x
    log_p, log_1mp = jnp.log(p), jnp.log1p(-p)
    ld = math.log(1 - 2 * self._alpha) - log_p - log_1mp
    return log_p - log_1mp, _utils.sum_last(ld, self.event_ndims_in)

  def inverse_and_log_det(self, y):
    """y: [..., *event] -> (x in [0, 1], log|dx/dy|)."""
    self._check_inverse_input_shape(y)
    x = (jax.nn.sigmoid(y) - self._alpha) / (1 - 2 * self._alpha)
    ld = jax.nn.log_sigmoid(y) + jax.nn.log_sigmoid(-y) - math.log(1 - 2 * self._alpha)
    return x, _utils.sum_last(ld, self.event_ndims_in)
