"""Masked autoregressive bijectors: MAF and IAF directions, any element-wise transformer.

An autoregressive conditioner h (a MADE, Germain et al. 2015; `jaxgen.nn.masked.MADE`) gives
the parameters of element i from the elements before it in its ordering, so the Jacobian of
the map below is triangular in that ordering and its log-det is a sum over elements.

MAF direction (Papamakarios et al. 2017, "Masked Autoregressive Flow", eq. 2-5), parameters
computed from the *output* of the sampling pass:

  forward (sample):  x_i = tau(u_i; h(x_{<i} [, c])_i)           D sequential passes
  inverse (density): u_i = tau^{-1}(x_i; h(x_{<i} [, c])_i)      one pass over all i
  inverse log-det:   sum_i log|dtau^{-1}/dx_i|;  forward log-det: its negative at x = f(u)

For the affine transformer tau(u) = u exp(alpha) + mu this is MAF's eq. 4-5 exactly.

IAF direction (Kingma et al. 2016, "Improved Variational Inference with Inverse
Autoregressive Flow", eq. 10-11), parameters computed from the *input* of the sampling pass:

  forward (sample):  x_i = tau(u_i; h(u_{<i} [, c])_i)           one pass
  inverse (density): u_i = tau^{-1}(x_i; h(u_{<i} [, c])_i)      D sequential passes
  forward log-det:   sum_i log|dtau/du_i|;  inverse log-det: its negative at u = f^{-1}(x)

The sequential pass is a jitted `lax.scan` of D fixed-point steps z <- g(z) starting from
zeros: after k steps every element whose ordering position is <= k is exact, so D steps give
the exact inverse for any autoregressive ordering, with no Python loop over dimensions.

The conditioner maps [..., D] (and a context) to [..., num_params * D], parameter p of
element d at index p * D + d (the layout of `MADE(num_outputs_per_dim=num_params)`).
The bijector trusts it to be autoregressive; `jaxgen.nn.masked` builds such masks.

Batches of contexts: the bijector may add batch axes (as distrax's `MaskedCoupling`). The
conditioner broadcasts the batch axes of z against those of the context, and outputs and
log-dets take the broadcast batch shape: u [D] under a context batch [3, k] gives x [3, D]
and a log-det [3]. The scan's carry is built at that broadcast shape (its first fixed-point
step, taken before the scan, yields it), so the sequential pass broadcasts the same way.
"""
from __future__ import annotations

from typing import Any

import distrax
import jax
import jax.numpy as jnp

from jaxgen.bijectors import _utils
from jaxgen.bijectors import transformers as transformers_lib

DIRECTIONS = ('maf', 'iaf')


class MaskedAutoregressive(_utils.Conditioned, distrax.Bijector):
  """An autoregressive bijector on vectors [..., D] with a MADE-style conditioner.

  Args:
    conditioner: callable `h(z)` or `h(z, context)`: [..., D] -> [..., num_params * D],
      autoregressive in z.
    transformer: element-wise transformer (`transformers.Affine`, `RationalQuadratic`, ...).
    direction: 'maf' (density in one pass, sampling by a scan) or 'iaf' (sampling in one
      pass, density by a scan).
    context: optional context passed to the conditioner; a batch of contexts broadcasts
      against the input's batch (outputs and log-dets have the broadcast batch shape).
  """

  def __init__(self, conditioner, transformer=None, direction: str = 'maf',
               context: Any | None = None):
    if direction not in DIRECTIONS:
      raise ValueError(f'Unknown direction {direction!r}; valid: {DIRECTIONS}.')
    super().__init__(event_ndims_in=1)
    self._set_conditioner(
        conditioner, transformers_lib.Affine('exp') if transformer is None else transformer,
        context)
    self._direction = direction

  @property
  def direction(self) -> str:
    return self._direction

  def _inner(self, z: jax.Array) -> distrax.Bijector:
    """tau(.; h(z, c)): the element-wise bijector with parameters from z [..., D]."""
    return self._transformer_for(z, z.shape[-1])

  @staticmethod
  def _finish(z, out, ld, elementwise: bool = False):
    """Output and log-det (summed over D unless `elementwise`) at the broadcast batch shape
    of z and h(z, c)."""
    shape = jnp.broadcast_shapes(z.shape, out.shape, jnp.shape(ld))
    ld = jnp.broadcast_to(ld, shape)
    return jnp.broadcast_to(out, shape), (ld if elementwise else jnp.sum(ld, axis=-1))

  def _one_pass(self, z, inverse: bool, elementwise: bool = False):
    inner = self._inner(z)
    out, ld = inner.inverse_and_log_det(z) if inverse else inner.forward_and_log_det(z)
    return self._finish(z, out, ld, elementwise)

  def forward_and_elementwise_log_det(self, u: jax.Array):
    """IAF direction only: u [..., D] -> (x, log|dx_i/du_i| [..., D]), one pass.

    The Jacobian is triangular, so its log-det is the sum of these terms; kept apart, they
    attribute log q to each element (a VAE's free bits, Kingma et al. 2016, need the KL of
    each group of latents).
    """
    if self._direction != 'iaf':
      raise ValueError('forward_and_elementwise_log_det is the one-pass direction of an '
                       "IAF; this bijector has direction 'maf'.")
    self._check_forward_input_shape(u)
    return self._one_pass(u, inverse=False, elementwise=True)

  def _scan_pass(self, target, inverse: bool):
    """Solves z = tau^{+-1}(target; h(z)) by D fixed-point steps (a `lax.scan`).

    The first step, from z = 0, runs before the scan: its result has the broadcast batch
    shape of the target and of the conditioner's output (a batch of contexts may add axes),
    which makes it the scan's carry; the scan runs the remaining D - 1 steps.
    """
    def apply(z):
      inner = self._inner(z)
      return inner.inverse(target) if inverse else inner.forward(target)

    z = apply(jnp.zeros_like(target))
    z = jnp.broadcast_to(z, jnp.broadcast_shapes(z.shape, target.shape))
    z, _ = jax.lax.scan(lambda z, _: (apply(z), None), z, None, length=target.shape[-1] - 1)
    inner = self._inner(z)
    _, ld = inner.inverse_and_log_det(target) if inverse else inner.forward_and_log_det(target)
    return self._finish(z, z, ld)

  def forward_and_log_det(self, u: jax.Array):
    """u: [..., D] -> (x [..., D], log|det dx/du| [...]); one pass for IAF, a scan for MAF."""
    self._check_forward_input_shape(u)
    if self._direction == 'iaf':
      return self._one_pass(u, inverse=False)
    return self._scan_pass(u, inverse=False)

  def inverse_and_log_det(self, x: jax.Array):
    """x: [..., D] -> (u [..., D], log|det du/dx| [...]); one pass for MAF, a scan for IAF."""
    self._check_inverse_input_shape(x)
    if self._direction == 'maf':
      return self._one_pass(x, inverse=True)
    return self._scan_pass(x, inverse=True)


class MAF(MaskedAutoregressive):
  """`MaskedAutoregressive(direction='maf')`: density in one pass, sampling by a scan."""

  def __init__(self, conditioner, transformer=None, context: Any | None = None):
    super().__init__(conditioner, transformer, direction='maf', context=context)


class IAF(MaskedAutoregressive):
  """`MaskedAutoregressive(direction='iaf')`: sampling in one pass, density by a scan."""

  def __init__(self, conditioner, transformer=None, context: Any | None = None):
    super().__init__(conditioner, transformer, direction='iaf', context=context)
