"""Batch normalization as a bijector, with running statistics (RealNVP s.3.7; MAF s.3.4).

In the density direction (data x -> latent) batch normalization is an element-wise affine
map with statistics (mu, sigma^2) and learned log-scale gamma and shift beta:

  inverse (normalise):    u = (x - mu) / sqrt(sigma^2 + eps) * exp(gamma) + beta
  forward (de-normalise): x = (u - beta) * exp(-gamma) * sqrt(sigma^2 + eps) + mu
  inverse log-det:        sum (gamma - 0.5 log(sigma^2 + eps))   (Papamakarios et al. 2017,
                                                                  "MAF", eq. 21)
  forward log-det:        the negative

During training mu and sigma^2 are the minibatch moments (`moments`), so the map depends on
the batch but is, for that batch, exactly the bijection above (gradients flow through the
moments); at test time they are running averages (`update_running`). The bijector itself
only ever sees fixed statistics: it is a pure function of its arguments.
"""
from __future__ import annotations

import distrax
import jax
import jax.numpy as jnp

from jaxgen.bijectors import _utils


class BatchNorm(distrax.Bijector):
  """Batch normalization bijector with given statistics; forward de-normalises.

  Args:
    mean: mu, broadcastable to the event (e.g. [D], or [C] per channel of an image).
    variance: sigma^2, same shape.
    log_gamma: gamma (log-scale), default 0.
    beta: shift, default 0.
    eps: added to the variance.
    event_ndims: the event rank (default 1).
  """

  def __init__(self, mean, variance, log_gamma=0.0, beta=0.0, eps: float = 1e-5,
               event_ndims: int = 1):
    _utils.check_event_ndims(event_ndims, 0, 'BatchNorm')
    if jnp.shape(mean) != jnp.shape(variance):
      raise ValueError(f'BatchNorm mean and variance need the same shape; got '
                       f'{jnp.shape(mean)} and {jnp.shape(variance)}.')
    super().__init__(event_ndims_in=event_ndims)
    self._mean, self._variance = mean, variance
    self._log_gamma, self._beta, self._eps = log_gamma, beta, eps

  def _inverse_log_scale(self):
    return self._log_gamma - 0.5 * jnp.log(self._variance + self._eps)

  def _log_det(self, z):
    ls = jnp.broadcast_to(self._inverse_log_scale(), z.shape)
    return _utils.sum_last(ls, self.event_ndims_in)

  def forward_and_log_det(self, u):
    """u: [..., *event] -> (x, log|dx/du|) (de-normalise)."""
    self._check_forward_input_shape(u)
    x = (u - self._beta) * jnp.exp(-self._inverse_log_scale()) + self._mean
    return x, -self._log_det(u)

  def inverse_and_log_det(self, x):
    """x: [..., *event] -> (u, log|du/dx|) (normalise)."""
    self._check_inverse_input_shape(x)
    u = (x - self._mean) * jnp.exp(self._inverse_log_scale()) + self._beta
    return u, self._log_det(x)


def moments(x: jax.Array, reduce_axes) -> tuple[jax.Array, jax.Array]:
  """Minibatch mean and (biased) variance over `reduce_axes` (e.g. (0,) or (0, 1, 2))."""
  mean = jnp.mean(x, axis=reduce_axes)
  variance = jnp.mean(jnp.square(x - jnp.expand_dims(mean, reduce_axes)), axis=reduce_axes)
  return mean, variance


def update_running(running, batch, momentum: float = 0.99):
  """Exponential running averages of (mean, variance): momentum * running + (1 - m) * batch."""
  return jax.tree.map(lambda r, b: momentum * r + (1 - momentum) * jax.lax.stop_gradient(b),
                      running, batch)
