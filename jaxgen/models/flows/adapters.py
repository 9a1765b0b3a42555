"""Glue between Flax modules and `jaxgen.bijectors`: layers whose bijector depends on data.

Two things in the papers cannot be built before the density pass reaches them: batch
normalization in training mode (its statistics are those of the layer's input minibatch) and
ActNorm's data-dependent initialisation. `FnBijector` wraps a Flax module's two directions as
a distrax bijector, so such layers still compose with `distrax.Chain` and
`jaxgen.bijectors.MultiScale`; `Steps` runs K identical flow steps as one bijector, with
`nn.scan` (compile time flat in K) or unrolled.

Convention of this package: a flow is a list of bijectors in *density order*; the density
pass (data -> latent) calls `inverse` on each in turn, which is what `distrax.Chain(layers)`
does, and sampling calls `forward` in reverse order.
"""
from __future__ import annotations

from typing import Any, Callable

import distrax
import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgen import bijectors as bj


class FnBijector(distrax.Bijector):
  """A bijector from two functions `z -> (out, log_det)`: the sampling and density passes."""

  def __init__(self, forward_fn: Callable, inverse_fn: Callable, event_ndims_in: int,
               event_ndims_out: int | None = None):
    super().__init__(event_ndims_in=event_ndims_in, event_ndims_out=event_ndims_out)
    self._forward_fn, self._inverse_fn = forward_fn, inverse_fn

  def forward_and_log_det(self, x):
    return self._forward_fn(x)

  def inverse_and_log_det(self, y):
    return self._inverse_fn(y)


def apply_direction(bijector: distrax.Bijector, h: jax.Array, inverse: bool):
  """(out, log_det) of the density pass (`inverse=True`) or the sampling pass."""
  return bijector.inverse_and_log_det(h) if inverse else bijector.forward_and_log_det(h)


FLOW_COLLECTIONS = ('params', 'batch_stats', 'constants')


class Steps(nn.Module):
  """K identical flow steps in density order, applied as one pass.

  Attributes:
    step: a factory `step(name=...)` of the step module, whose
      `__call__(h, context, train, inverse) -> (h, log_det)` applies one step.
    length: K.
    scan: True: `nn.scan` over stacked parameters (one traced step, compile time flat in K);
      False: K separately traced steps (the baseline of the compile-time benchmark).
  """
  step: Callable[..., nn.Module]
  length: int
  scan: bool = True

  @nn.compact
  def __call__(self, h, context: Any = None, train: bool = False, inverse: bool = True):
    ld = jnp.zeros(h.shape[:1], h.dtype)
    if not self.scan:
      order = range(self.length) if inverse else reversed(range(self.length))
      steps = [self.step(name=f'step_{i}') for i in range(self.length)]
      for i in order:
        h, l = steps[i](h, context, train, inverse)
        ld = ld + l
      return h, ld

    def body(module, carry, _):
      h, ld = carry
      h, l = module(h, context, train, inverse)
      return (h, ld + l), None

    scanned = nn.scan(body, variable_axes={c: 0 for c in FLOW_COLLECTIONS},
                      split_rngs={'params': True}, length=self.length, reverse=not inverse)
    (h, ld), _ = scanned(self.step(name='steps'), (h, ld), None)
    return h, ld

  def bijector(self, context: Any = None, train: bool = False, event_ndims: int = 3):
    """The K steps as a bijector (forward = sampling pass, inverse = density pass)."""
    return FnBijector(lambda z: self(z, context, train, inverse=False),
                      lambda x: self(x, context, train, inverse=True), event_ndims)


class BatchNormLayer(nn.Module):
  """`jaxgen.bijectors.BatchNorm` with minibatch statistics in training, running ones at test.

  The statistics are per element of `stats_shape` (e.g. [C] per channel of an image, [D]
  per dimension of a vector), reduced over every other axis of the layer's input.

  Attributes:
    stats_shape: shape of the statistics and of gamma, beta.
    event_ndims: the event rank of the input.
    momentum: of the running averages.
  """
  stats_shape: tuple
  event_ndims: int
  momentum: float = 0.95
  eps: float = 1e-5

  @nn.compact
  def __call__(self, h, context: Any = None, train: bool = False, inverse: bool = True):
    del context
    log_gamma = self.param('log_gamma', nn.initializers.zeros_init(), self.stats_shape)
    beta = self.param('beta', nn.initializers.zeros_init(), self.stats_shape)
    mean = self.variable('batch_stats', 'mean', jnp.zeros, self.stats_shape)
    var = self.variable('batch_stats', 'var', jnp.ones, self.stats_shape)
    if train and inverse:
      axes = tuple(range(h.ndim - len(self.stats_shape)))
      m, v = bj.moments(h, axes)
      if not self.is_initializing():
        mean.value, var.value = bj.update_running((mean.value, var.value), (m, v),
                                                  self.momentum)
    else:
      m, v = mean.value, var.value
    bn = bj.BatchNorm(m, v, log_gamma, beta, eps=self.eps, event_ndims=self.event_ndims)
    return apply_direction(bn, h, inverse)

  def bijector(self, train: bool = False):
    return FnBijector(lambda z: self(z, None, train, inverse=False),
                      lambda x: self(x, None, train, inverse=True), self.event_ndims)
