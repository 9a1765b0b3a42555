"""NICE: Non-linear Independent Components Estimation (Dinh, Krueger & Bengio 2015).

On vectors x in [0, 1]^D (flattened, dequantized images rescaled to [0, 1]):
  h = S . g_4(g_3(g_2(g_1(x))))          four additive couplings (eq. 7-8), partitions
                                         alternating between odd and even dimensions
  log p(x) = sum_d log p_H(h_d) + sum_d S_dd        (eq. 4 with the scaling layer, s.3.3)
with a standard logistic prior p_H on MNIST (s.5.1). Each coupling function m is a ReLU MLP
with 5 hidden layers of 1000 units (MNIST) mapping the 392 conditioning dimensions to the 392
updated ones. Paper, MNIST test log-likelihood: 1980.50 nats on [0, 1]^784, i.e.
-(1980.50 - 784 log 256) / (784 log 2) = 4.36 bits/dim in 8-bit pixel space.
"""
from __future__ import annotations

from typing import Any, Sequence

import distrax
import flax.linen as nn
import jax.numpy as jnp

from jaxgen import bijectors as bj
from jaxgen.models.flows import nets
from jaxgen.models.flows.base import FlowModel

PRIORS = ('logistic', 'gaussian')


class NICE(nn.Module, FlowModel):
  """NICE on flattened data [..., D] (event_shape (D,))."""
  event_shape: tuple
  hidden: Sequence[int] = (1000,) * 5
  num_couplings: int = 4
  prior: str = 'logistic'
  pixels: bool = True
  num_bits: int = 8
  logit_alpha: float | None = None

  def setup(self):
    if len(self.event_shape) != 1:
      raise ValueError(f'NICE acts on flat vectors; got event_shape {self.event_shape}.')
    if self.prior not in PRIORS:
      raise ValueError(f'Unknown NICE prior {self.prior!r}; valid: {PRIORS}.')
    self.masks = [bj.alternating_mask(self.dim, i % 2) for i in range(self.num_couplings)]
    self.nets = [nets.MLP(tuple(self.hidden), nets.num_transformed(m)) for m in self.masks]
    self.log_scale = self.param('log_scale', nn.initializers.zeros_init(), (self.dim,))

  def flow(self, context: Any = None, train: bool = False) -> distrax.Bijector:
    del train
    layers = [bj.AdditiveCoupling(m, nets.HalfConditioner(net, m, 1), context=context)
              for m, net in zip(self.masks, self.nets)]
    layers.append(bj.DiagonalScaling(self.log_scale))
    return distrax.Chain(layers)

  def base(self, context: Any = None) -> distrax.Distribution:
    del context
    if self.prior == 'gaussian':
      return super().base()
    return distrax.Independent(distrax.Logistic(jnp.zeros(self.dim), 1.0), 1)
