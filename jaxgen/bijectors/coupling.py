"""Conditional masked coupling: the general coupling layer, with any element-wise transformer.

With a binary mask b (1 = unchanged), a conditioner h and an element-wise transformer tau
(Dinh et al. 2017, "Density estimation using Real NVP", eq. 9; Papamakarios et al. 2021
s.3.1.2):

  forward:          y = b * x + (1 - b) * tau(x; h(b * x [, c]))
  inverse:          x = b * y + (1 - b) * tau^{-1}(y; h(b * y [, c]))
  forward log-det:  log|det dy/dx| = sum_{b=0} log|dtau/dx|
  inverse log-det:  log|det dx/dy| = -sum_{b=0} log|dtau/dx| evaluated at x = f^{-1}(y)

The Jacobian is triangular after permuting the masked elements first, so the log-det is the
sum over the transformed elements only. `c` is an optional context (a class label, features):
the conditioner is called as `h(b * x)` or, when a context is given, `h(b * x, c)`; it does
not enter the Jacobian because it is not transformed.

The conditioner returns `[..., num_params * C]` for an event whose last axis has C elements
(parameter p of element d at index p * C + d, MADE's layout); its values at masked
positions are ignored. Use `AffineCoupling` / `AdditiveCoupling` for the named special cases.

Batches of contexts (as distrax's `MaskedCoupling`): the bijector may add batch axes. The
conditioner broadcasts the batch axes of its input against those of the context (as
`h(x, c) = net(x @ w + c @ w_c)` does), and the output and log-det take the broadcast batch
shape of the input and of the conditioner's output: x [5] under a context batch [3, k] gives
y [3, 5] and a log-det [3]; x [4, 1, 5] under [3, k] gives [4, 3, 5] and [4, 3]. So one x
is scored under several contexts, and `distrax.Transformed(base, coupling).sample(seed=...,
sample_shape=n)` with a context batch [3, k] returns [n, 3, 5].
"""
from __future__ import annotations

from typing import Any

import distrax
import jax
import jax.numpy as jnp
import numpy as np

from jaxgen.bijectors import _utils
from jaxgen.bijectors import transformers as transformers_lib


class MaskedCoupling(_utils.Conditioned, distrax.Bijector):
  """y = b * x + (1 - b) * tau(x; h(b * x, context)) for any element-wise transformer.

  Args:
    mask: bool array broadcastable to the event shape; True = unchanged.
    conditioner: any callable `h(masked_x)` (or `h(masked_x, context)`) returning
      `[..., num_params * C]`: a plain JAX function, a Flax module's bound method, an
      Equinox module, a Haiku-transformed apply with its params closed over.
    transformer: an element-wise transformer (`jaxgen.bijectors.transformers`).
    context: optional context passed to the conditioner (any pytree).
    event_ndims: the event rank (default `mask.ndim`); the log-det sums over it.

  A batch of contexts broadcasts against the input's batch (see the module docstring):
  outputs and log-dets have the broadcast batch shape of the two.
  """

  def __init__(self, mask, conditioner, transformer, context: Any | None = None,
               event_ndims: int | None = None):
    mask = np.asarray(mask) if not isinstance(mask, jax.Array) else mask
    if mask.dtype != bool:
      raise ValueError(f'{type(self).__name__}: mask must be boolean (True = unchanged); '
                       f'got dtype {mask.dtype}.')
    event_ndims = mask.ndim if event_ndims is None else event_ndims
    _utils.check_event_ndims(event_ndims, max(mask.ndim, 1), type(self).__name__)
    super().__init__(event_ndims_in=event_ndims)
    self._mask = mask
    self._set_conditioner(conditioner, transformer, context)

  @property
  def mask(self):
    return self._mask

  def _check_event(self, z: jax.Array) -> None:
    """The mask must broadcast to the input's event shape without enlarging it."""
    event = tuple(z.shape[z.ndim - self.event_ndims_in:])
    mask = tuple(self._mask.shape)
    aligned = event[len(event) - len(mask):]
    if len(mask) > len(event) or any(m not in (1, e) for m, e in zip(mask, aligned)):
      raise ValueError(
          f'{type(self).__name__}: the mask of shape {mask} does not broadcast to the event '
          f'shape {event} of the input (input shape {tuple(z.shape)}, event_ndims '
          f'{self.event_ndims_in}).')

  def _inner(self, z: jax.Array) -> distrax.Bijector:
    """The element-wise bijector tau(.; h(b * z, c))."""
    self._check_event(z)
    return self._transformer_for(jnp.where(self._mask, z, jnp.zeros_like(z)), z.shape[-1])

  def _finish(self, z, out, log_d):
    """Keeps the masked elements; output and log-det at the broadcast batch shape."""
    shape = jnp.broadcast_shapes(z.shape, out.shape, jnp.shape(log_d))
    new = jnp.broadcast_to(jnp.where(self._mask, z, out), shape)
    log_d = jnp.where(self._mask, jnp.zeros_like(log_d), log_d)
    return new, _utils.sum_last(jnp.broadcast_to(log_d, shape), self.event_ndims_in)

  def forward_and_log_det(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """x: [..., *event] -> (y [..., *event], log|det dy/dx| [...])."""
    self._check_forward_input_shape(x)
    y, log_d = self._inner(x).forward_and_log_det(x)
    return self._finish(x, y, log_d)

  def inverse_and_log_det(self, y: jax.Array) -> tuple[jax.Array, jax.Array]:
    """y: [..., *event] -> (x [..., *event], log|det dx/dy| [...])."""
    self._check_inverse_input_shape(y)
    x, log_d = self._inner(y).inverse_and_log_det(y)
    return self._finish(y, x, log_d)


def spline_coupling(mask, conditioner, num_bins: int = 8, bound: float = 3.0,
                    context: Any | None = None, event_ndims: int | None = None
                    ) -> MaskedCoupling:
  """A rational-quadratic spline coupling (Durkan et al. 2019, "Neural Spline Flows").

  The conditioner returns `[..., (3 * num_bins + 1) * C]`.
  """
  return MaskedCoupling(mask, conditioner, transformers_lib.RationalQuadratic(num_bins, bound),
                        context=context, event_ndims=event_ndims)
