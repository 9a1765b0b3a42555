"""Masked convolutions: the masks, exact causality of their Jacobians, and cached decoding."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgen import testing
from jaxgen.nn import masked_conv
from jaxgen.nn.gated import gate_groups, gated_activation
from jaxgen.nn.masked_conv import MaskedConv2D


def test_color_groups_are_contiguous_blocks():
  np.testing.assert_array_equal(masked_conv.color_groups(3, 3), [0, 1, 2])
  np.testing.assert_array_equal(masked_conv.color_groups(6, 3), [0, 0, 1, 1, 2, 2])
  np.testing.assert_array_equal(masked_conv.color_groups(4, 1), [0, 0, 0, 0])
  with pytest.raises(ValueError, match='cannot be split into 3'):
    masked_conv.color_groups(4, 3)


def test_single_group_masks_are_raster_causal():
  groups = np.zeros(1, int)
  a = masked_conv.conv_mask((3, 3), (1, 1), groups, groups, 'A')[..., 0, 0]
  b = masked_conv.conv_mask((3, 3), (1, 1), groups, groups, 'B')[..., 0, 0]
  np.testing.assert_array_equal(a, [[1, 1, 1], [1, 0, 0], [0, 0, 0]])
  np.testing.assert_array_equal(b, [[1, 1, 1], [1, 1, 0], [0, 0, 0]])
  # A vertical-stack kernel anchored on its last row is all ones without a mask type.
  v = masked_conv.conv_mask((2, 3), (1, 1), groups, groups, None)
  assert v.min() == 1.0


def test_channel_masks_follow_rgb_order():
  """Section 3.4 of PixelRNN: at the centre, R sees nothing (A) / R (B); G sees R (A) / R, G (B)."""
  rgb = np.arange(3)
  a = masked_conv.conv_mask((1, 1), (0, 0), rgb, rgb, 'A')[0, 0]
  b = masked_conv.conv_mask((1, 1), (0, 0), rgb, rgb, 'B')[0, 0]
  # [in, out]: out channel g sees input channel g'.
  np.testing.assert_array_equal(a, [[0, 1, 1], [0, 0, 1], [0, 0, 0]])
  np.testing.assert_array_equal(b, [[1, 1, 1], [0, 1, 1], [0, 0, 1]])


def test_mask_errors_name_the_problem():
  g = np.zeros(1, int)
  with pytest.raises(ValueError, match='mask_type'):
    masked_conv.conv_mask((3, 3), (1, 1), g, g, 'C')
  with pytest.raises(ValueError, match='outside the kernel'):
    masked_conv.conv_mask((3, 3), (3, 1), g, g, 'A')
  layer = MaskedConv2D(4, (3, 3), num_groups=3)
  with pytest.raises(ValueError, match='cannot be split into 3'):
    layer.init(jax.random.key(0), jnp.zeros((1, 4, 4, 2)))
  with pytest.raises(ValueError, match=r'\[batch, height, width, channels\]'):
    layer.init(jax.random.key(0), jnp.zeros((4, 4, 3)))


@pytest.mark.parametrize('mask_type,num_groups', [('A', 1), ('B', 1), ('A', 3), ('B', 3)])
def test_jacobian_is_exactly_causal_and_fills_the_kernel(mask_type, num_groups):
  """Output (i, j, group g) depends on input (i', j', g') iff the tap is in the kernel and
  before the anchor in raster order, or at the anchor with g' < g ('A') / g' <= g ('B')."""
  h, w, cin, cout = 5, 6, 3, 6
  layer = MaskedConv2D(cout, (3, 3), mask_type=mask_type, num_groups=num_groups)
  x = jax.random.normal(jax.random.key(0), (1, h, w, cin))
  params = layer.init(jax.random.key(1), x)
  nonzero = testing.assert_raster_causal(layer.apply, x, num_groups=num_groups,
                                         allow_same=mask_type == 'B', param_draws=[params],
                                         num_draws=1)[0, :, :, :, 0]   # [h, w, cout, h, w, cin]
  out_rank = testing.raster_order(h, w, cout, num_groups)[:, :, :, None, None, None]
  in_rank = testing.raster_order(h, w, cin, num_groups)[None, None, None]
  strict = mask_type == 'A'
  causal = in_rank < out_rank if strict else in_rank <= out_rank
  ii, jj = np.arange(h), np.arange(w)
  near = ((np.abs(ii[:, None, None, None, None, None] - ii[None, None, None, :, None, None]) <= 1)
          & (np.abs(jj[None, :, None, None, None, None] - jj[None, None, None, None, :, None])
             <= 1))
  np.testing.assert_array_equal(nonzero, causal & near)


def test_decoding_pixel_by_pixel_matches_the_full_map():
  """Writing pixels (and a full row) into the cache reproduces the full convolution."""
  h, w, c = 4, 5, 2
  x = jax.random.normal(jax.random.key(0), (2, h, w, c))
  for layer in (MaskedConv2D(3, (3, 3), mask_type='B'),
                MaskedConv2D(3, (2, 3), mask_type=None, anchor=(1, 1))):  # vertical stack
    params = layer.init(jax.random.key(1), x)
    full = layer.apply(params, x)
    _, state = layer.apply(params, jnp.zeros_like(x), decode=True, mutable=['cache'])
    cache = state['cache']
    for i in range(h):
      for j in range(w):
        y, state = layer.apply({**params, 'cache': cache}, x[:, i:i + 1, j:j + 1], decode=True,
                               row=i, col=j, mutable=['cache'])
        cache = state['cache']
        if layer.mask_type == 'B':   # causal: the pixel's output is final right away
          np.testing.assert_allclose(y[:, 0, 0], full[:, i, j], atol=1e-6)
    # With every pixel written, a whole row and the full-map read agree with the full output.
    for i in range(h):
      row, _ = layer.apply({**params, 'cache': cache}, x[:, i:i + 1], decode=True, row=i,
                           mutable=['cache'])
      np.testing.assert_allclose(row[:, 0], full[:, i], atol=1e-6)
      direct, _ = layer.apply({**params, 'cache': cache}, x, decode=True, row=i, col=1,
                              width=w - 1, mutable=['cache'])
      np.testing.assert_allclose(direct[:, 0], full[:, i, 1:], atol=1e-6)


def test_decoding_rejects_a_wrong_shape():
  layer = MaskedConv2D(3, (3, 3))
  x = jnp.zeros((2, 4, 4, 1))
  params = layer.init(jax.random.key(1), x)
  _, state = layer.apply(params, x, decode=True, mutable=['cache'])
  with pytest.raises(ValueError, match='one pixel or row'):
    layer.apply({**params, **state}, jnp.zeros((2, 2, 2, 1)), decode=True, mutable=['cache'])


def test_gated_activation_and_its_groups():
  x = jnp.array([[0.3, -1.0, 2.0, 0.5]])
  np.testing.assert_allclose(gated_activation(x),
                             np.tanh([[0.3, -1.0]]) / (1 + np.exp(-np.array([[2.0, 0.5]]))),
                             rtol=1e-6)
  assert gate_groups(2, 2) == (0, 1, 0, 1)
  with pytest.raises(ValueError, match='even'):
    gated_activation(jnp.ones((1, 3)))
