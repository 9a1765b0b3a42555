"""PixelRNN: Row LSTM and Diagonal BiLSTM (van den Oord et al. 2016a, sections 3.1-3.4).

The architecture of the paper's Table 2: a 7x7 mask-'A' convolution to 2h features, then
`num_layers` (up to 12) recurrent layers, each with a residual connection (section 3.4): the
2h-feature input goes through the LSTM layer (h features per gate, `jaxgen.nn.pixel_lstm`),
a 1x1 mask-'B' convolution brings the h-feature output back to 2h, and the input is added.
Then ReLU, 1x1 mask-'B' convolution, ReLU, 1x1 mask-'B' convolution to a 256-way softmax per
channel (or PixelCNN++'s logistic mixture).

  arch='row_lstm'         Row LSTM layers (1 x k input-to-state and state-to-state).
  arch='diagonal_bilstm'  Diagonal BiLSTM layers (skewed map, 1x1 input-to-state, 2x1
                          state-to-state, right-to-left direction shifted down one row).

The cached sampler (`jaxgen.models.pixel.sampling.sample_cached`) computes one LSTM step per
layer per new pixel from cached neighbour states; the Diagonal BiLSTM's right-to-left direction
runs once per finished row.
"""
from __future__ import annotations

import flax.linen as nn

from jaxgen.models.pixel.layers import output_layers
from jaxgen.nn.masked_conv import MaskedConv2D
from jaxgen.nn.pixel_lstm import DiagonalBiLSTM, RowLSTM

KINDS = ('row_lstm', 'diagonal_bilstm')


class PixelRNN(nn.Module):
  """PixelRNN with residual Row LSTM or Diagonal BiLSTM layers.

  Attributes:
    num_params: output parameters per pixel (C * 256 for the softmax).
    num_groups: colour groups of the masks (C, or 1 for whole-pixel outputs).
    kind: 'row_lstm' or 'diagonal_bilstm'.
    features: h (the residual stream has 2h features).
    num_layers: recurrent layers (the paper uses up to 12).
    kernel_size: k of the Row LSTM's convolutions (3).
    first_kernel_size: the mask-'A' input convolution (7).
    output_features: width of the hidden 1x1 output layer.
  """
  num_params: int
  num_groups: int = 1
  kind: str = 'row_lstm'
  features: int = 16
  num_layers: int = 7
  kernel_size: int = 3
  first_kernel_size: int = 7
  output_features: int = 64

  @property
  def row_phase(self) -> bool:
    return self.kind == 'diagonal_bilstm'

  @nn.compact
  def __call__(self, x, label=None, *, decode=None, row=0, col=0):
    """x: [b, H, W, C] in [-1, 1] -> params [b, H, W, P] (decode: see `jaxgen.models.pixel.sampling`)."""
    if label is not None:
      raise ValueError('PixelRNN is unconditional here: use the Gated PixelCNN for classes.')
    if self.kind not in KINDS:
      raise ValueError(f'Unknown PixelRNN kind {self.kind!r}; valid: {KINDS}.')
    g, h = self.num_groups, self.features
    layers = [RowLSTM(h, self.kernel_size, g, name=f'lstm{i}') if self.kind == 'row_lstm'
              else DiagonalBiLSTM(h, g, name=f'lstm{i}') for i in range(self.num_layers)]
    if decode == 'row':
      for layer in layers:
        layer(None, decode='row')
      return None
    k0 = self.first_kernel_size
    y = MaskedConv2D(2 * h, (k0, k0), mask_type='A', num_groups=g, name='input_conv')(
        x, decode=decode is not None, row=row, col=col)
    for i, layer in enumerate(layers):
      z = layer(y, decode=decode, row=row, col=col)
      y = y + MaskedConv2D(2 * h, (1, 1), mask_type='B', num_groups=g, name=f'lstm{i}_out')(z)
    return output_layers(y, self.output_features, self.num_params, g)
