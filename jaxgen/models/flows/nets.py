"""Conditioner networks of the flow papers, and the gather/scatter around them.

A coupling bijector calls its conditioner on the masked input and wants `[..., P * C]` back
(`jaxgen.bijectors`). The papers' networks see only the conditioning half and predict only
the transformed half; `HalfConditioner` adapts one to the other, so parameter counts are the
papers'.

  MLP        NICE's coupling function m: ReLU MLP (Dinh et al. 2015, s.5.1).
  ResNet     RealNVP's s and t: a residual convolutional network with weight normalization
             (Dinh et al. 2017, s.4.1).
  GlowNet    Glow's NN(): 3x3 conv, ReLU, 1x1 conv, ReLU, zero-initialised 3x3 conv
             (Kingma & Dhariwal 2018, s.3.3 and s.5).
A context (one-hot class or features) enters each network as a learned bias of its first
hidden layer.
"""
from __future__ import annotations

from typing import Any, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np


def _context_bias(context, features: int, spatial: int, name: str):
  """Dense(context) -> a bias broadcast over `spatial` inner axes."""
  b = nn.Dense(features, use_bias=False, name=name)(context)
  return b.reshape(b.shape[:-1] + (1,) * spatial + (features,))


class MLP(nn.Module):
  """ReLU MLP [..., n_in] -> [..., out]; the last layer starts at zero (identity coupling)."""
  hidden: Sequence[int]
  out: int

  @nn.compact
  def __call__(self, x, context: Any = None):
    h = x
    for i, width in enumerate(self.hidden):
      h = nn.Dense(width, name=f'hidden_{i}')(h)
      if context is not None and i == 0:
        h = h + _context_bias(context, width, 0, 'context')
      h = nn.relu(h)
    return nn.Dense(self.out, kernel_init=nn.initializers.zeros_init(), name='out')(h)


class ResNet(nn.Module):
  """RealNVP's s/t network on images [..., h, w, c_in] -> [..., h, w, out].

  3x3 conv to `channels`, `num_blocks` residual blocks (ReLU, 3x3 conv, ReLU, 3x3 conv, all
  weight-normalised), ReLU, zero-initialised 3x3 conv to `out`.
  """
  channels: int
  num_blocks: int
  out: int

  @nn.compact
  def __call__(self, x, context: Any = None):
    def conv(features, name, kernel=(3, 3)):
      return nn.WeightNorm(nn.Conv(features, kernel, padding='SAME'), name=name)

    h = conv(self.channels, 'in')(x)
    if context is not None:
      h = h + _context_bias(context, self.channels, 2, 'context')
    for i in range(self.num_blocks):
      r = conv(self.channels, f'block_{i}_a')(nn.relu(h))
      h = h + conv(self.channels, f'block_{i}_b')(nn.relu(r))
    return nn.Conv(self.out, (3, 3), padding='SAME', kernel_init=nn.initializers.zeros_init(),
                   name='out')(nn.relu(h))


class ZeroConv(nn.Module):
  """Glow's Conv2dZeros: a zero-initialised 3x3 conv with a learned output scale exp(3 s)."""
  out: int

  @nn.compact
  def __call__(self, x):
    y = nn.Conv(self.out, (3, 3), padding='SAME', kernel_init=nn.initializers.zeros_init())(x)
    logs = self.param('logs', nn.initializers.zeros_init(), (self.out,))
    return y * jnp.exp(3.0 * logs)


class GlowNet(nn.Module):
  """Glow's NN(): [..., h, w, c_in] -> [..., h, w, out], zero-initialised output."""
  hidden: int
  out: int

  @nn.compact
  def __call__(self, x, context: Any = None):
    h = nn.Conv(self.hidden, (3, 3), padding='SAME', name='conv_in')(x)
    if context is not None:
      h = h + _context_bias(context, self.hidden, 2, 'context')
    h = nn.relu(h)
    h = nn.relu(nn.Conv(self.hidden, (1, 1), name='conv_mid')(h))
    return ZeroConv(self.out, name='conv_out')(h)


class HalfConditioner:
  """Adapts a network on the conditioning half to a coupling's full-width conditioner.

  `mask` is the coupling's mask restricted to the last axis (True = conditioning element).
  Called on the masked input [..., C], it feeds the network only the True elements and
  scatters its `[..., P * n_transformed]` output into the `[..., P * C]` layout
  (parameter p of element d at p * C + d); masked positions get zeros, which the coupling
  ignores.
  """

  def __init__(self, net, mask: np.ndarray, num_params: int):
    mask = np.asarray(mask, bool)
    if mask.ndim != 1:
      raise ValueError(f'HalfConditioner needs a mask over the last axis; got {mask.shape}.')
    self.net, self.num_params, self.width = net, num_params, mask.shape[0]
    self.keep = np.flatnonzero(mask)
    self.change = np.flatnonzero(~mask)

  def __call__(self, x, context: Any = None):
    out = self.net(jnp.take(x, self.keep, axis=-1), context)
    n = len(self.change)
    out = out.reshape(out.shape[:-1] + (self.num_params, n))
    full = jnp.zeros(out.shape[:-1] + (self.width,), out.dtype).at[..., self.change].set(out)
    return full.reshape(full.shape[:-2] + (self.num_params * self.width,))


def num_transformed(mask: np.ndarray) -> int:
  return int(np.sum(~np.asarray(mask, bool)))


def one_hot(labels: jax.Array, num_classes: int) -> jax.Array:
  return jax.nn.one_hot(labels, num_classes, dtype=jnp.float32)
