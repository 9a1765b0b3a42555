"""PixelCNN (van den Oord et al. 2016a) and the (Conditional) Gated PixelCNN (2016b).

Both model p(x) = prod_i p(x_i | x_<i) over pixels in raster order and, with a per-channel
softmax, over channels R -> G -> B inside a pixel (2016a eq. 1-2), with masked convolutions
(`jaxgen.nn.masked_conv`):

  PixelCNN (2016a, section 3.5, Figure 5): a 7x7 mask-'A' convolution to 2h features, residual
  blocks [ReLU, 1x1 conv to h, ReLU, 3x3 mask-'B' conv, ReLU, 1x1 conv to 2h] + identity, and
  the output stack [ReLU, 1x1, ReLU, 1x1] to a 256-way softmax per channel. Its stacked masked
  3x3 kernels leave a blind spot to the upper right of every pixel.

  Gated PixelCNN (2016b, section 2.2): vertical and horizontal stacks with gated tanh * sigmoid
  units (`jaxgen.nn.gated.GatedLayer`), residual connections in the horizontal stack and skip
  connections from every layer to the output stack; no blind spot.

  Conditional Gated PixelCNN (2016b, section 2.3): p(x | h) with a class one-hot h entering
  every gate through V^T h (eq. 4) and, with `spatial_conditioning`, through a 1x1 convolution
  of a map s = m(h) made by a small deconvolution network (eq. 5).

The task (`jaxgen.models.pixel.task`) selects the network with `config.model.arch`: 'pixelcnn'
or 'gated' (conditional when `num_classes > 0`); the output distributions are in
`jaxgen.nn.outputs`, the samplers in `jaxgen.models.pixel.sampling`.
"""
from __future__ import annotations

import flax.linen as nn
import jax

from jaxgen.models.pixel.layers import output_layers
from jaxgen.nn.gated import GatedLayer
from jaxgen.nn.masked_conv import MaskedConv2D, default_kernel_init

class PixelCNN(nn.Module):
  """PixelCNN (2016a): mask-A 7x7 conv, residual mask-B blocks, 1x1 output stack.

  Attributes:
    num_params: output parameters per pixel (e.g. C * 256 for the softmax).
    num_groups: colour groups of the masks (C for a per-channel softmax, 1 for whole pixels).
    features: h; the residual stream has 2h features.
    num_layers: residual blocks.
    kernel_size: kernel of the blocks' mask-B convolution (3 in the paper).
    first_kernel_size: kernel of the mask-A input convolution (7 in the paper).
    output_features: width of the hidden 1x1 output layer.
  """
  num_params: int
  num_groups: int = 1
  features: int = 32
  num_layers: int = 6
  kernel_size: int = 3
  first_kernel_size: int = 7
  output_features: int = 64
  row_phase = False          # the cached sampler needs no once-per-row update

  @nn.compact
  def __call__(self, x, label=None, *, decode=None, row=0, col=0):
    """x: [b, H, W, C] in [-1, 1] (one pixel [b, 1, 1, C] when decode='pixel') -> [b, H, W, P]."""
    if label is not None:
      raise ValueError("PixelCNN is unconditional: use arch='gated' for class conditioning.")
    cache = decode is not None
    g, h = self.num_groups, self.features
    k0 = self.first_kernel_size
    y = MaskedConv2D(2 * h, (k0, k0), mask_type='A', num_groups=g, name='input_conv')(
        x, decode=cache, row=row, col=col)
    for i in range(self.num_layers):
      z = MaskedConv2D(h, (1, 1), mask_type='B', num_groups=g, name=f'block{i}_in')(
          jax.nn.relu(y))
      z = MaskedConv2D(h, (self.kernel_size,) * 2, mask_type='B', num_groups=g,
                       name=f'block{i}_conv')(jax.nn.relu(z), decode=cache, row=row, col=col)
      y = y + MaskedConv2D(2 * h, (1, 1), mask_type='B', num_groups=g,
                           name=f'block{i}_out')(jax.nn.relu(z))
    return output_layers(y, self.output_features, self.num_params, g)


class SpatialConditioning(nn.Module):
  """s = m(h): a deconvolution network from a vector h [b, d] to a map [b, H, W, features].

  Dense to a quarter-resolution map and two stride-2 transposed convolutions when H and W are
  multiples of 4; a dense layer straight to the map otherwise (2016b section 2.3).
  """
  height: int
  width: int
  features: int = 8

  @nn.compact
  def __call__(self, h):
    b, f, init = h.shape[0], self.features, default_kernel_init
    if self.height % 4 or self.width % 4:
      return nn.Dense(self.height * self.width * f, kernel_init=init)(h).reshape(
          b, self.height, self.width, f)
    s = nn.Dense(self.height // 4 * self.width // 4 * f, kernel_init=init)(h)
    s = jax.nn.relu(s.reshape(b, self.height // 4, self.width // 4, f))
    s = jax.nn.relu(nn.ConvTranspose(f, (3, 3), strides=(2, 2), kernel_init=init)(s))
    return nn.ConvTranspose(f, (3, 3), strides=(2, 2), kernel_init=init)(s)


class GatedPixelCNN(nn.Module):
  """(Conditional) Gated PixelCNN (2016b): gated vertical/horizontal stacks with skips.

  Attributes:
    num_params, num_groups: as in `PixelCNN`.
    features: p, the width of both stacks.
    num_layers: gated layers (the first uses `first_kernel_size` and mask 'A').
    kernel_size, first_kernel_size: k of the later layers and of the first one.
    skip_features: width of the skip connections summed into the output stack.
    output_features: width of the hidden 1x1 output layer.
    num_classes: > 0 makes the model class-conditional through V^T h (eq. 4).
    spatial_conditioning: also condition through 1x1 convs of s = m(h) (eq. 5).
    spatial_features: channels of s.
    image_size: (H, W), needed for the spatial map.
  """
  num_params: int
  num_groups: int = 1
  features: int = 32
  num_layers: int = 6
  kernel_size: int = 3
  first_kernel_size: int = 7
  skip_features: int = 64
  output_features: int = 64
  num_classes: int = 0
  spatial_conditioning: bool = False
  spatial_features: int = 8
  image_size: tuple[int, int] = (28, 28)
  row_phase = True           # the vertical stack of row i is computed once row i is done

  @nn.compact
  def __call__(self, x, label=None, *, decode=None, row=0, col=0):
    """x: [b, H, W, C] in [-1, 1]; label: int [b] if conditional -> params [b, H, W, P].

    Decoding: 'init' (full maps, makes the caches), 'row' (x is finished row `row`,
    [b, 1, W, C]; returns None), 'pixel' (x is pixel (row, col), [b, 1, 1, C]).
    """
    cond, spatial = self._conditioning(label, x.shape[0])
    if spatial is not None and decode in ('row', 'pixel'):
      width = 1 if decode == 'pixel' else spatial.shape[2]
      spatial = jax.lax.dynamic_slice(spatial, (0, row, col if decode == 'pixel' else 0, 0),
                                      (spatial.shape[0], 1, width, spatial.shape[3]))
    v, h, skips = x, x, 0.0
    for i in range(self.num_layers):
      layer = GatedLayer(self.features, self.first_kernel_size if i == 0 else self.kernel_size,
                         first=i == 0, skip_features=self.skip_features,
                         num_groups=self.num_groups, name=f'layer{i}')
      v, h, skip = layer(v, h, cond, spatial, decode=decode, row=row, col=col)
      if decode != 'row':
        skips = skips + skip
    if decode == 'row':
      return None
    return output_layers(skips, self.output_features, self.num_params,
                                      self.num_groups)

  def _conditioning(self, label, batch: int):
    if self.num_classes == 0:
      if label is not None:
        raise ValueError('This Gated PixelCNN is unconditional (num_classes=0) but got labels.')
      return None, None
    if label is None:
      raise ValueError(f'A conditional Gated PixelCNN (num_classes={self.num_classes}) needs '
                       'a label for every image.')
    if label.shape != (batch,):
      raise ValueError(f'label must have shape ({batch},), got {label.shape}.')
    h = jax.nn.one_hot(label, self.num_classes)
    spatial = None
    if self.spatial_conditioning:
      spatial = SpatialConditioning(*self.image_size, self.spatial_features, name='m')(h)
    return h, spatial
