"""LU-decomposed invertible 1x1 convolution (Kingma & Dhariwal 2018, "Glow", s.3.2, eq. 10).

W = P L (U + diag(sign * exp(log_s))), with P a fixed permutation matrix, L lower triangular
with unit diagonal, U strictly upper triangular, and `sign`, `log_s` the signs and log
magnitudes of U's diagonal. Then log|det W| = sum(log_s), an O(C) cost:

  forward:          y[i, j] = W x[i, j]
  inverse:          x[i, j] = U'^{-1} L^{-1} P^T y[i, j]     (two triangular solves)
  forward log-det:  h * w * sum(log_s)
  inverse log-det:  -h * w * sum(log_s)

Only L's strict lower part, U's strict upper part and log_s are learned; P and sign stay fixed.
"""
from __future__ import annotations

import distrax
import jax
import jax.numpy as jnp
import jax.scipy.linalg
import numpy as np

from jaxgen.bijectors import _utils
from jaxgen.bijectors.conv1x1 import _check_channels, _check_square


def _check_fixed_factors(permutation, sign) -> None:
  """P must be a permutation matrix and sign must be +-1 (skipped for traced values).

  A 0 in `sign` makes W singular while the log-det sum(log_s) stays finite, and a P that is
  not a permutation changes |det W| without the log-det knowing: both would be silently wrong.
  """
  if not isinstance(sign, jax.core.Tracer):
    s = np.asarray(sign)
    if not np.all(np.abs(s) == 1):
      raise ValueError(f'Conv1x1LU sign must hold +-1 only (the fixed signs of diag(U)); got '
                       f'{s.tolist()}.')
  if not isinstance(permutation, jax.core.Tracer):
    p = np.asarray(permutation)
    if not (np.all((p == 0) | (p == 1)) and np.all(p.sum(0) == 1) and np.all(p.sum(1) == 1)):
      raise ValueError('Conv1x1LU permutation must be a permutation matrix (a single 1 in '
                       f'every row and column, 0 elsewhere); got {p.tolist()}.')


class Conv1x1LU(distrax.Bijector):
  """y = P L (U + diag(sign exp(log_s))) x at every position.

  Args:
    permutation: P, [C, C] permutation matrix (fixed).
    lower: [C, C]; only its strictly lower part is used (L = tril(lower, -1) + I).
    upper: [C, C]; only its strictly upper part is used.
    log_s: [C], log|diag(U')|.
    sign: [C], signs of diag(U') (fixed, +-1).
    event_ndims: the event rank (default 3).

  Raises:
    ValueError: if `permutation` is not a permutation matrix or `sign` holds anything but
      +-1 (checked when they are concrete arrays, not under a trace).
  """

  def __init__(self, permutation, lower, upper, log_s, sign, event_ndims: int = 3):
    _utils.check_event_ndims(event_ndims, 1, 'Conv1x1LU')
    for name, m in (('permutation', permutation), ('lower', lower), ('upper', upper)):
      _check_square(jnp.asarray(m), f'Conv1x1LU {name}')
    c = permutation.shape[0]
    if jnp.shape(log_s) != (c,) or jnp.shape(sign) != (c,):
      raise ValueError(f'Conv1x1LU needs log_s and sign of shape [{c}]; got '
                       f'{jnp.shape(log_s)} and {jnp.shape(sign)}.')
    _check_fixed_factors(permutation, sign)
    super().__init__(event_ndims_in=event_ndims, is_constant_jacobian=True)
    self._p, self._lower, self._upper = permutation, lower, upper
    self._log_s, self._sign = log_s, sign

  def _factors(self):
    c = self._p.shape[0]
    lower = jnp.tril(self._lower, -1) + jnp.eye(c, dtype=self._lower.dtype)
    upper = jnp.triu(self._upper, 1) + jnp.diag(self._sign * jnp.exp(self._log_s))
    return lower, upper

  @property
  def weight(self) -> jax.Array:
    """W = P L U', [C, C]."""
    lower, upper = self._factors()
    return self._p @ lower @ upper

  def _log_det(self, x):
    _check_channels(x, self._p.shape[0], 'Conv1x1LU')
    n = _utils.pixels(x.shape, self.event_ndims_in)
    return jnp.broadcast_to(n * jnp.sum(self._log_s), x.shape[:x.ndim - self.event_ndims_in])

  def forward_and_log_det(self, x):
    """x: [..., *event] -> (x W^T, h*w*sum(log_s))."""
    self._check_forward_input_shape(x)
    ld = self._log_det(x)              # checks the channel count before the product
    return x @ self.weight.T, ld

  def inverse_and_log_det(self, y):
    """y: [..., *event] -> (W^{-1} y per position, -h*w*sum(log_s))."""
    self._check_inverse_input_shape(y)
    ld = self._log_det(y)
    lower, upper = self._factors()
    flat = y.reshape(-1, y.shape[-1]).T                        # [C, N]
    z = self._p.T @ flat
    z = jax.scipy.linalg.solve_triangular(lower, z, lower=True, unit_diagonal=True)
    z = jax.scipy.linalg.solve_triangular(upper, z, lower=False)
    return z.T.reshape(y.shape), -ld


def lu_params(weight: jax.Array) -> dict[str, jax.Array]:
  """Glow's LU parameters of an initial W (e.g. `random_rotation`): P, lower, upper, log_s, sign."""
  p, lower, upper = jax.scipy.linalg.lu(weight)
  diag = jnp.diag(upper)
  return dict(permutation=p, lower=jnp.tril(lower, -1), upper=jnp.triu(upper, 1),
              log_s=jnp.log(jnp.abs(diag)), sign=jnp.sign(diag))
