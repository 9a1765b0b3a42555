"""The output stack shared by the family's networks (PixelRNN / PixelCNN, 2016a Table 2)."""
from __future__ import annotations

import jax

from jaxgen.nn.masked_conv import MaskedConv2D


def output_layers(x: jax.Array, features: int, num_params: int, num_groups: int) -> jax.Array:
  """ReLU, 1x1 mask-B conv, ReLU, 1x1 mask-B conv to the distribution's parameters.

  Call it from a compact module: it creates the parent's 'output_hidden' and 'output' layers.
  x [b, H, W, F] -> [b, H, W, num_params].
  """
  y = MaskedConv2D(features, (1, 1), mask_type='B', num_groups=num_groups,
                   name='output_hidden')(jax.nn.relu(x))
  return MaskedConv2D(num_params, (1, 1), mask_type='B', num_groups=num_groups,
                      name='output')(jax.nn.relu(y))
