"""RealNVP (Dinh, Sohl-Dickstein & Bengio 2017, "Density estimation using Real NVP").

Images v in [0, 256)^(h x w x c) are dequantized, rescaled and logit-transformed (s.4.1),
then mapped to the latent by the multi-scale architecture (s.3.6): at each scale but the
last, three affine couplings with alternating checkerboard masks, a squeeze, three with
alternating channel-wise masks, and half of the channels factored out; the last scale has
four checkerboard couplings. Every coupling's output is batch-normalized (s.3.7; running
averages at test time). The couplings' s and t share one residual network with weight
normalization whose tanh-bounded log-scale keeps training stable (s.4.1). Paper: CIFAR-10
3.49, ImageNet 32x32 4.28 bits/dim (table 1); there is no MNIST figure in the paper.
"""
from __future__ import annotations

from typing import Any

import distrax
import flax.linen as nn

from jaxgen import bijectors as bj
from jaxgen.models.flows import adapters
from jaxgen.models.flows import nets
from jaxgen.models.flows.base import FlowModel, multiscale_shapes


def scale_shapes(event_shape, num_scales: int):
  """[(input shape, latent shape)] per scale; the last scale does not squeeze."""
  return multiscale_shapes(event_shape, num_scales, False, 'RealNVP')


class RealNVP(nn.Module, FlowModel):
  """Multi-scale RealNVP on images [..., h, w, c]."""
  event_shape: tuple
  num_scales: int = 2
  channels: int = 64
  num_blocks: int = 4
  couplings_per_stage: int = 3    # the paper's 3 (the last scale gets one more)
  batch_norm: bool = True
  bn_momentum: float = 0.95
  pixels: bool = True
  num_bits: int = 8
  logit_alpha: float | None = 0.05

  def specs(self):
    """[(scale, kind, shape, parity)] of every coupling, in density order."""
    out = []
    for s, (shape, latent) in enumerate(scale_shapes(tuple(self.event_shape), self.num_scales)):
      last = s == self.num_scales - 1
      n = self.couplings_per_stage
      out += [(s, 'checkerboard', shape, i % 2) for i in range(n + 1 if last else n)]
      if not last:
        out += [(s, 'channel', latent, i % 2) for i in range(n)]
    return out

  def setup(self):
    if len(self.event_shape) != 3:
      raise ValueError(f'RealNVP acts on images (h, w, c); got {self.event_shape}.')
    nets_, norms = [], []
    for _, kind, shape, parity in self.specs():
      out = 2 * (shape[-1] if kind == 'checkerboard'
                 else nets.num_transformed(bj.channel_mask(shape, parity)[0, 0]))
      nets_.append(nets.ResNet(self.channels, self.num_blocks, out))
      if self.batch_norm:
        norms.append(adapters.BatchNormLayer((shape[-1],), 3, self.bn_momentum))
    self.coupling_nets = nets_
    self.batch_norms = norms

  def _level(self, s: int, context: Any, train: bool) -> distrax.Bijector:
    """Scale s in density order: couplings (+ batch norm), squeeze, couplings (+ BN)."""
    layers, squeezed = [], False
    for i, (scale, kind, shape, parity) in enumerate(self.specs()):
      if scale != s:
        continue
      if kind == 'checkerboard':
        mask = bj.checkerboard_mask(shape, parity)
        cond = self.coupling_nets[i]
      else:
        if not squeezed:
          layers.append(distrax.Inverse(bj.Squeeze()))   # density pass squeezes here
          squeezed = True
        mask = bj.channel_mask(shape, parity)
        cond = nets.HalfConditioner(self.coupling_nets[i], mask[0, 0], 2)
      layers.append(bj.AffineCoupling(mask, cond, context=context, scale_activation='tanh'))
      if self.batch_norm:
        layers.append(self.batch_norms[i].bijector(train))
    return distrax.Chain(layers)

  def flow(self, context: Any = None, train: bool = False) -> distrax.Bijector:
    rest = None
    shapes = scale_shapes(tuple(self.event_shape), self.num_scales)
    for s in reversed(range(self.num_scales)):
      shape, latent = shapes[s]
      rest = bj.MultiScale(self._level(s, context, train), shape, next_level=rest,
                           latent_shape=latent)
    return rest
