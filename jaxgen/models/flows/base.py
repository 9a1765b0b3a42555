"""What every flow model shares: preprocessing bijectors, the base density, log p and sampling.

A model is a Flax module with
  event_shape           the shape of one example in model space ((D,) or (h, w, c));
  flow(context, train)  its bijector in sampling direction, flat latent [D] -> model space;
  base(context)         the base density over the latent [D] (default N(0, I));
and gets here
  log_prob(v, context, train)   log p(v) in data space ([0, 2^b) pixels for images);
  sample(key, num, context, temperature)   samples in data space.

Images: `pixels=True` adds, in density order, the dequantization rescaling v / 2^b and either
the logit transform (`logit_alpha`, RealNVP s.4.1) or Glow's centring x - 1/2, so that their
log-determinants are part of log p(v) and bits/dim are those of the papers:
bits/dim = -log p(v) / (D log 2), v = k + u the uniformly dequantized pixels.
"""
from __future__ import annotations

import math
from typing import Any

import distrax
import jax
import jax.numpy as jnp

from jaxgen import bijectors as bj


def multiscale_shapes(event_shape, num_levels: int, squeeze_last: bool, name: str):
  """[(level input shape, level latent shape)] of a multi-scale flow on [h, w, c] images.

  Every level squeezes (h, w, c) -> (h/2, w/2, 4c) and passes half, (h/2, w/2, 2c), to the
  next; with `squeeze_last=False` the last level keeps its input shape (RealNVP s.3.6).
  """
  shapes, (h, w, c) = [], tuple(event_shape)
  for level in range(num_levels):
    if level == num_levels - 1 and not squeeze_last:
      shapes.append(((h, w, c), (h, w, c)))
      break
    if h % 2 or w % 2:
      raise ValueError(f'{name} level {level} cannot squeeze an image of shape {(h, w, c)}; '
                       f'use fewer levels than {num_levels}.')
    shapes.append(((h, w, c), (h // 2, w // 2, 4 * c)))
    h, w, c = h // 2, w // 2, 2 * c
  return shapes


def gaussian(dim: int) -> distrax.Distribution:
  return distrax.MultivariateNormalDiag(jnp.zeros((dim,)))


class FlowModel:
  """Mixin of the flow modules (subclasses are `flax.linen.Module` dataclasses).

  Subclass fields used here: `event_shape`, `pixels`, `num_bits`, `logit_alpha` (None: no
  logit; Glow centres instead).
  """

  @property
  def dim(self) -> int:
    return math.prod(self.event_shape)

  def base(self, context: Any = None) -> distrax.Distribution:
    del context
    return gaussian(self.dim)

  def flow(self, context: Any = None, train: bool = False) -> distrax.Bijector:
    raise NotImplementedError

  def preprocess(self) -> list:
    """Bijectors from data space to model space, in density order."""
    if not self.pixels:
      return []
    nd = len(self.event_shape)
    layers = [distrax.Inverse(bj.Dequantize(self.num_bits, event_ndims=nd))]
    if self.logit_alpha is not None:
      layers.append(distrax.Inverse(bj.Logit(self.logit_alpha, event_ndims=nd)))
    else:
      layers.append(distrax.Block(distrax.Shift(jnp.float32(0.5)), nd))
    return layers

  def bijector(self, context: Any = None, train: bool = False) -> distrax.Bijector:
    """Latent [D] -> data space, in sampling direction; inverse is the density pass."""
    return distrax.Chain(self.preprocess() + [self.flow(context, train)])

  def log_prob(self, v: jax.Array, context: Any = None, train: bool = False) -> jax.Array:
    """log p(v) [batch] of data v [batch, *event_shape]."""
    z, log_det = self.bijector(context, train).inverse_and_log_det(v)
    return self.base(context).log_prob(z) + log_det

  def sample(self, key: jax.Array, num: int, context: Any = None,
             temperature: float = 1.0) -> jax.Array:
    """num samples in data space [num, *event_shape] (base scaled by `temperature`)."""
    base = self.base(context)
    if base.batch_shape:     # a context-dependent base: one sample per context row
      if base.batch_shape != (num,):
        raise ValueError(f'Sampling {num} examples needs a context of {num} rows; the base '
                         f'density has batch shape {base.batch_shape}.')
      z = base.sample(seed=key)
    else:
      z = base.sample(seed=key, sample_shape=(num,))
    if temperature != 1.0:
      z = z * temperature
    return self.bijector(context, False).forward(z)
