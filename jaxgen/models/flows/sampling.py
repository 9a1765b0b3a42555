"""Sampling from the flows, and the 2-D panels (density and sample histograms) of toy runs.

A flow samples in one pass: base noise (scaled by the temperature, Glow's T = 0.7) through the
inverse of the bijector chain (`FlowModel.sample`; MAF's inverse is a `lax.scan` over the
dimensions, IAF's a single parallel pass). The helpers here turn 2-D densities and samples
into the images the trainer writes.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

GRID = 64             # 2-D plots: GRID x GRID pixels over [-EXTENT, EXTENT]^2
EXTENT = 4.0


def sample_images(model, variables, rng: jax.Array, num: int, context=None,
                  temperature: float = 1.0) -> jax.Array:
  """Samples of an image flow in data space [num, *event_shape] (8-bit scale [0, 256))."""
  return model.apply(variables, rng, num, context, temperature, method='sample')


def grid_points(num: int = GRID, extent: float = EXTENT) -> jax.Array:
  """[num * num, 2] points of the plotting grid (row = z2 from top, column = z1)."""
  t = jnp.linspace(-extent, extent, num)
  z1, z2 = jnp.meshgrid(t, -t, indexing='xy')
  return jnp.stack([z1.reshape(-1), z2.reshape(-1)], -1)


def density_image(log_p: jax.Array, num: int = GRID) -> jax.Array:
  """exp(log p) on the grid, scaled to [0, 1] (non-finite values shown as 0): [num, num, 1]."""
  log_p = jnp.where(jnp.isfinite(log_p), log_p, -jnp.inf)
  p = jnp.exp(log_p - jnp.max(log_p)).reshape(num, num)
  return p[..., None]


def histogram_image(x: jax.Array, num: int = GRID, extent: float = EXTENT) -> jax.Array:
  """2-D histogram of samples x [n, 2] on the grid, scaled to [0, 1]: [num, num, 1]."""
  col = jnp.clip(((x[:, 0] + extent) / (2 * extent) * num).astype(jnp.int32), 0, num - 1)
  row = jnp.clip(((extent - x[:, 1]) / (2 * extent) * num).astype(jnp.int32), 0, num - 1)
  h = jnp.zeros((num, num)).at[row, col].add(1.0)
  return (h / jnp.maximum(jnp.max(h), 1.0))[..., None]
