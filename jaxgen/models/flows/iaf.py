"""IAF: Inverse Autoregressive Flow (Kingma, Salimans, Jozefowicz, Chen, Sutskever & Welling
2016), trained by reverse KL against an unnormalised 2-D density.

Samples are one pass: eps ~ N(0, I), and each layer
  z_i = tau(z_i^prev; MADE(z^prev_{<i}))           (eq. 10-11; affine: z = sigma * z + mu)
with the ordering reversed between layers, so log q(z) = log N(eps) - sum log|dtau/dz| comes
with every sample for free. That is the fast direction for the reverse KL

  KL(q || p) = E_q[log q(z) + U(z)] + log Z,        p(z) = exp(-U(z)) / Z

(Rezende & Mohamed 2015, s.6.1), the loss here. The density of an arbitrary point, needed
only for plots and tests, inverts the layers by a scan over the D dimensions.
Kingma et al.'s gated update z = sigma z + (1 - sigma) m is the affine transformer with
`scale_activation='sigmoid'` (sigma = sigmoid(r + 2)); 'tanh' lets the flow also expand.
"""
from __future__ import annotations

import functools
from typing import Sequence

import distrax
import flax.linen as nn
import jax

from jaxgen.models.flows import adapters
from jaxgen.models.flows.base import gaussian
from jaxgen.models.flows.maf import AutoregressiveStep, make_transformer


class IAF(nn.Module):
  """An IAF on [..., dim]: `num_layers` scanned MADE layers with reversed orderings."""
  dim: int = 2
  num_layers: int = 4
  hidden_sizes: Sequence[int] = (64, 64)
  transformer: str = 'affine'
  scale_activation: str = 'tanh'
  num_bins: int = 8
  bound: float = 4.0
  scan: bool = True

  def setup(self):
    transformer = make_transformer(self.transformer, self.scale_activation, self.num_bins,
                                   self.bound)
    self.steps = adapters.Steps(
        functools.partial(AutoregressiveStep, self.dim, tuple(self.hidden_sizes), transformer,
                          'iaf'),
        self.num_layers, self.scan)

  def flow(self) -> distrax.Bijector:
    """eps [D] -> z [D]: forward is the one-pass sampler, inverse the scan."""
    return self.steps.bijector(event_ndims=1)

  def sample_and_log_prob(self, key: jax.Array, num: int):
    """(z [num, D], log q(z) [num]) in one pass; also returns the base noise eps."""
    base = gaussian(self.dim)
    eps, log_base = base.sample_and_log_prob(seed=key, sample_shape=(num,))
    z, log_det = self.flow().forward_and_log_det(eps)
    return z, log_base - log_det, eps

  def log_prob(self, z: jax.Array) -> jax.Array:
    """log q(z) [batch] of arbitrary points z [batch, D] (inverse by scans)."""
    eps, log_det = self.flow().inverse_and_log_det(z)
    return gaussian(self.dim).log_prob(eps) + log_det

  def inverse(self, z: jax.Array) -> jax.Array:
    return self.flow().inverse(z)
