"""MAF: Masked Autoregressive Flow (Papamakarios, Pavlakou & Murray 2017).

On vectors x [D] (flattened images after dequantization and the logit transform with
lambda = 1e-6, s.4.3; or 2-D toy densities), MAF stacks autoregressive layers
  x_i = u_i exp(alpha_i) + mu_i,   (mu_i, alpha_i) = MADE(x_{<i})        (eq. 4-5)
so the density pass u = (x - mu(x)) exp(-alpha(x)) is one MADE evaluation per layer and
sampling is a scan over the D dimensions. Between layers the ordering is reversed and the
activations are batch-normalized (s.3.4, eq. 21; running averages at test time). The
layers are identical, so they run under one `nn.scan`.

"MAF MoG" (s.4.2) replaces the N(0, I) base density by a MADE mixture of Gaussians,
  p(u) = prod_i sum_k pi_ik N(u_i; m_ik, s_ik^2),   (pi, m, s)_i = MADE(u_{<i})
whose density is one pass and whose sampler is again a scan over dimensions.
Paper, MNIST (unconditional, nats in logit space, table 2): MAF(5) -1300.5, MAF(10) -1313.1,
MAF MoG(5) -1100.3 (higher is better).
"""
from __future__ import annotations

import functools
from typing import Any, Sequence

import distrax
import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgen import bijectors as bj
from jaxgen.bijectors import _utils
from jaxgen.models.flows import adapters
from jaxgen.models.flows.base import FlowModel
from jaxgen.nn import masked

TRANSFORMERS = ('affine', 'spline')
BASES = ('gaussian', 'mog')


made_masks = masked.natural_made_masks     # (dim, hidden_sizes, num_params): one connectivity


def make_transformer(kind: str, scale_activation: str = 'exp', num_bins: int = 8,
                     bound: float = 4.0):
  if kind == 'affine':
    return bj.Affine(scale_activation, bound)
  if kind == 'spline':
    return bj.RationalQuadratic(num_bins, bound)
  raise ValueError(f'Unknown transformer {kind!r}; valid: {TRANSFORMERS}.')


class AutoregressiveStep(nn.Module):
  """One MAF (or IAF) layer on [..., D]: the autoregressive bijector, BN, reversed order."""
  dim: int
  hidden_sizes: Sequence[int]
  transformer: Any
  direction: str = 'maf'
  batch_norm: bool = False
  bn_momentum: float = 0.95

  @nn.compact
  def __call__(self, h, context: Any = None, train: bool = False, inverse: bool = True):
    num_params = self.transformer.num_params
    masks = made_masks(self.dim, tuple(self.hidden_sizes), num_params)
    made = masked.MADE(tuple(self.hidden_sizes), num_outputs_per_dim=num_params,
                       output_kernel_init=nn.initializers.zeros_init(), name='made')
    conditioner = lambda z, c=None: made(z, masks, c)
    layers = [bj.MaskedAutoregressive(conditioner, self.transformer, self.direction,
                                      context=context)]
    if self.batch_norm:
      layers.append(adapters.BatchNormLayer((self.dim,), 1, self.bn_momentum,
                                            name='batch_norm').bijector(train))
    layers.append(bj.Permute(bj.reverse_permutation(self.dim)))
    return adapters.apply_direction(distrax.Chain(layers), h, inverse)


class MADEMoG(distrax.Distribution):
  """MADE mixture of Gaussians over [..., D] (MAF s.4.2), from a conditioner callable.

  `net(u [, context])` returns [..., 3K * D] in MADE's layout: for dimension d, K mixture
  logits, K means and K log-scales.
  """

  def __init__(self, net, dim: int, num_components: int, context: Any = None):
    self._net, self._dim, self._k, self._context = net, dim, num_components, context

  @property
  def event_shape(self):
    return (self._dim,)

  @property
  def batch_shape(self):
    return () if self._context is None else tuple(self._context.shape[:-1])

  def _components(self, u):
    out = _utils.call_conditioner(self._net, u, self._context)
    p = _utils.split_params(out, self._dim, 3 * self._k, 'MADEMoG')          # [..., D, 3K]
    logits, means, log_scales = jnp.split(p, 3, axis=-1)
    return jax.nn.log_softmax(logits, -1), means, jnp.clip(log_scales, -7.0, 5.0)

  def log_prob(self, u):
    log_w, means, log_scales = self._components(u)
    z = (u[..., None] - means) * jnp.exp(-log_scales)
    log_n = -0.5 * jnp.square(z) - log_scales - 0.5 * jnp.log(2 * jnp.pi)
    return jnp.sum(jax.nn.logsumexp(log_w + log_n, axis=-1), axis=-1)

  def _sample_n(self, key, n):
    shape = (n,) + self.batch_shape + (self._dim,)
    k_comp, k_eps = jax.random.split(key)
    gumbel = jax.random.gumbel(k_comp, shape + (self._k,))
    eps = jax.random.normal(k_eps, shape)

    def step(u, _):  # D fixed-point steps: dimension i is exact after i steps
      log_w, means, log_scales = self._components(u)
      comp = jax.nn.one_hot(jnp.argmax(log_w + gumbel, -1), self._k)
      return jnp.sum(comp * (means + jnp.exp(log_scales) * eps[..., None]), -1), None

    u, _ = jax.lax.scan(step, jnp.zeros(shape), None, length=self._dim)
    return u


class MAF(nn.Module, FlowModel):
  """MAF on vectors [..., D]: `num_layers` scanned MADE layers, Gaussian or MADE-MoG base."""
  event_shape: tuple
  num_layers: int = 5
  hidden_sizes: Sequence[int] = (1024,)
  transformer: str = 'affine'
  scale_activation: str = 'exp'
  num_bins: int = 8
  bound: float = 4.0
  batch_norm: bool = True
  bn_momentum: float = 0.95
  base_density: str = 'gaussian'
  num_components: int = 10
  num_classes: int = 0
  scan: bool = True
  pixels: bool = False
  num_bits: int = 8
  logit_alpha: float | None = 1e-6

  def setup(self):
    if len(self.event_shape) != 1:
      raise ValueError(f'MAF acts on flat vectors; got event_shape {self.event_shape}.')
    if self.base_density not in BASES:
      raise ValueError(f'Unknown MAF base_density {self.base_density!r}; valid: {BASES}.')
    transformer = make_transformer(self.transformer, self.scale_activation, self.num_bins,
                                   self.bound)
    self.steps = adapters.Steps(
        functools.partial(AutoregressiveStep, self.dim, tuple(self.hidden_sizes), transformer,
                          'maf', self.batch_norm, self.bn_momentum),
        self.num_layers, self.scan)
    if self.base_density == 'mog':
      self.mog = masked.MADE(tuple(self.hidden_sizes), num_outputs_per_dim=3 * self.num_components,
                             output_kernel_init=nn.initializers.zeros_init())

  def flow(self, context: Any = None, train: bool = False) -> distrax.Bijector:
    return self.steps.bijector(context, train, event_ndims=1)

  def base(self, context: Any = None) -> distrax.Distribution:
    if self.base_density == 'gaussian':
      return super().base(context)
    masks = made_masks(self.dim, tuple(self.hidden_sizes), 3 * self.num_components)
    return MADEMoG(lambda u, c=None: self.mog(u, masks, c), self.dim, self.num_components,
                   context)
