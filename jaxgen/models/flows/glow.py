"""Glow: generative flow with invertible 1x1 convolutions (Kingma & Dhariwal 2018).

Images v in [0, 256)^(h x w x c) are dequantized and centred, x = v / 256 - 1/2. The
multi-scale architecture (fig. 2b) has L levels; each squeezes, applies K flow steps and,
except the last, splits off half of its channels. A step (fig. 2a, table 1) is
  ActNorm (data-dependent init) -> invertible 1x1 conv (LU-decomposed, eq. 10)
  -> affine coupling (channel split, scale sigmoid(r + 2), zero-initialised NN()).
The split-off half z_i has a learned prior N(mu(h_i), sigma(h_i)^2) given the kept half h_i
(the paper's code, `split2d`), and the top latent a learned prior N(mu(y), sigma(y)^2), a
function of the class y for class-conditional Glow (s.5.3; the label also enters every NN()).
Both priors are affine bijectors of a standard normal, so the whole model is a chain of
`jaxgen.bijectors` under `MultiScale`, with the K steps of a level scanned (`nn.scan`).
Paper: CIFAR-10 3.35, ImageNet 32x32 4.09 bits/dim (table 2); no MNIST figure.
"""
from __future__ import annotations

import functools
from typing import Any

import distrax
import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgen import bijectors as bj
from jaxgen.models.flows import adapters
from jaxgen.models.flows import nets
from jaxgen.models.flows.base import FlowModel, multiscale_shapes


def level_shapes(event_shape, num_scales: int):
  """[(level input shape, latent shape after the squeeze)] per level."""
  return multiscale_shapes(event_shape, num_scales, True, 'Glow')


class GlowStep(nn.Module):
  """One step of flow on [..., h, w, c]: ActNorm, 1x1 conv (LU), affine coupling."""
  shape: tuple
  hidden: int
  lu: bool = True

  def _actnorm(self, h, inverse):
    # Data-dependent init from the first density pass (Glow s.3.1).
    init = lambda i: (lambda key: bj.actnorm_init(h)[i] if inverse
                      else jnp.zeros(self.shape[-1]))
    return bj.ActNorm(self.param('actnorm_log_scale', init(0)),
                      self.param('actnorm_bias', init(1)))

  def _conv1x1(self):
    c = self.shape[-1]
    if not self.lu:
      w = self.param('weight', lambda key: bj.random_rotation(key, c))
      return distrax.Inverse(bj.Conv1x1(w))
    # W = P L U from one random rotation (eq. 10). P and sign(diag U) stay fixed, so they
    # live in 'constants' (out of the optimiser's reach) with the key of the rotation, from
    # which L, U and log|diag U| are initialised as parameters.
    def factors(key_data):
      return bj.lu_params(bj.random_rotation(jax.random.wrap_key_data(key_data), c))

    def constants():
      key_data = jax.random.key_data(self.make_rng('params'))
      f = factors(key_data)
      return dict(key=key_data, permutation=f['permutation'], sign=f['sign'])

    const = self.variable('constants', 'lu', constants).value
    lu = bj.Conv1x1LU(const['permutation'],
                      self.param('lower', lambda _: factors(const['key'])['lower']),
                      self.param('upper', lambda _: factors(const['key'])['upper']),
                      self.param('log_s', lambda _: factors(const['key'])['log_s']),
                      const['sign'])
    # Density pass: y = W x, one matmul; sampling solves the two triangular systems.
    return distrax.Inverse(lu)

  @nn.compact
  def __call__(self, h, context: Any = None, train: bool = False, inverse: bool = True):
    del train
    mask = bj.channel_mask(self.shape, 0)
    net = nets.GlowNet(self.hidden, 2 * nets.num_transformed(mask[0, 0]), name='coupling')
    coupling = bj.AffineCoupling(mask, nets.HalfConditioner(net, mask[0, 0], 2),
                                 context=context, scale_activation='sigmoid')
    # As in Glow, the density pass multiplies by s = sigmoid(r + 2) in (0, 1) (its forward);
    # the coupling can only contract there, which keeps training stable.
    step = distrax.Chain([self._actnorm(h, inverse), self._conv1x1(), distrax.Inverse(coupling)])
    return adapters.apply_direction(step, h, inverse)


class _SplitPriorNet(nn.Module):
  """mu, log sigma of the split-off half from the kept half: Glow's zero-initialised conv."""
  out: int

  @nn.compact
  def __call__(self, x, context: Any = None):
    del context
    return nets.ZeroConv(self.out)(x)


class Glow(nn.Module, FlowModel):
  """Multi-scale Glow on images [..., h, w, c], optionally class-conditional."""
  event_shape: tuple
  num_scales: int = 3
  depth: int = 32          # K steps per level
  hidden: int = 512
  lu: bool = True
  scan: bool = True
  num_classes: int = 0
  pixels: bool = True
  num_bits: int = 8
  logit_alpha: float | None = None

  def setup(self):
    if len(self.event_shape) != 3:
      raise ValueError(f'Glow acts on images (h, w, c); got {self.event_shape}.')
    shapes = level_shapes(self.event_shape, self.num_scales)
    self.steps = [adapters.Steps(functools.partial(GlowStep, latent, self.hidden, self.lu),
                                 self.depth, self.scan) for _, latent in shapes]
    self.split_priors = [_SplitPriorNet(2 * (latent[-1] // 2)) for _, latent in shapes[:-1]]
    top = shapes[-1][1]
    self.top_shape = top
    if self.num_classes:
      self.top_prior = nn.Dense(2 * top[0] * top[1] * top[2],
                                kernel_init=nn.initializers.zeros_init())
    else:
      self.top_prior = self.param('top_prior', nn.initializers.zeros_init(), (2,) + top)

  def _top(self, context):
    """The learned (class-conditional) prior of the top latent, as an affine bijector."""
    if self.num_classes:
      if context is None:
        raise ValueError('A class-conditional Glow needs a context (one-hot labels).')
      p = self.top_prior(context).reshape(context.shape[:-1] + (2,) + self.top_shape)
      mean, log_scale = p[..., 0, :, :, :], p[..., 1, :, :, :]
    else:
      mean, log_scale = self.top_prior[0], self.top_prior[1]
    return distrax.Block(distrax.ScalarAffine(mean, log_scale=log_scale), 3)

  def flow(self, context: Any = None, train: bool = False) -> distrax.Bijector:
    shapes = level_shapes(self.event_shape, self.num_scales)
    rest = None
    for l in reversed(range(self.num_scales)):
      shape, latent = shapes[l]
      layers = [distrax.Inverse(bj.Squeeze()),
                self.steps[l].bijector(context, train, event_ndims=3)]
      if l == self.num_scales - 1:
        layers.append(self._top(context))
      else:   # z_l ~ N(mu(h_l), sigma(h_l)): an affine coupling on the split-off half.
        mask = bj.channel_mask(latent, 1)
        prior = nets.HalfConditioner(self.split_priors[l], mask[0, 0], 2)
        layers.append(bj.AffineCoupling(mask, prior, scale_activation='exp'))
      rest = bj.MultiScale(distrax.Chain(layers), shape, next_level=rest, latent_shape=latent)
    return rest
