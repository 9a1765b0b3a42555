"""Ancestral samplers of the pixel models: plain and cached, both one jitted `lax.scan`.

Both fill the image pixel by pixel in raster order and, for per-channel outputs, channel by
channel; step t (pixel t // S, substep t % S, S = `output.substeps`) draws its value by
inverse CDF from the uniforms `jax.random.uniform(fold_in(rng, t), (num, U))`
(`jaxgen.nn.outputs`), so the two samplers draw the same samples for the same key.

  * `sample_plain`: recomputes the whole network on the whole canvas at every step.
  * `sample_cached`: keeps every causal convolution's input and every recurrent state in a
    cache and computes each layer only at the new pixel (plus, for models whose row-wise parts
    need a finished row, once per row) -- the idea of Ramachandran et al. 2017 ("Fast
    Generation for Convolutional Autoregressive Models").

A pixel model is a Linen module called as
  model(x, label=None, *, decode=None, row=0, col=0) -> params [b, H, W, P]
on images scaled to [-1, 1]; `decode` ('init', 'pixel', 'row') runs it incrementally.
"""
from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp

from jaxgen.nn.outputs import to_unit


def _step_position(t, width: int, substeps: int):
  pos, sub = jnp.divmod(t, substeps)
  i, j = jnp.divmod(pos, width)
  return i, j, sub


def step_uniforms(rng: jax.Array, t, num: int, output) -> jax.Array:
  """The uniforms [num, U] of sampling step t."""
  return jax.random.uniform(jax.random.fold_in(rng, t), (num, output.num_uniforms))


def sample_plain(apply_fn: Callable, output, shape, rng: jax.Array, num: int) -> jax.Array:
  """Ancestral sampling, the whole network per step: one `lax.scan` over H W S steps.

  Args:
    apply_fn: x [num, H, W, C] in [-1, 1] -> params [num, H, W, P].
    output: the output distribution (`outputs.PixelCategorical` or `PixelLogisticMixture`).
    shape: (H, W, C).
    rng: key; step t draws with `step_uniforms(rng, t, num, output)`.
    num: number of images.
  Returns:
    int32 levels [num, H, W, C].
  """
  height, width, channels = shape
  num_levels = output.num_levels

  def step(canvas, t):
    i, j, sub = _step_position(t, width, output.substeps)
    params = apply_fn(to_unit(canvas, num_levels))
    params = jax.lax.dynamic_slice(params, (0, i, j, 0), (num, 1, 1, params.shape[-1]))[:, 0, 0]
    pixel = jax.lax.dynamic_slice(canvas, (0, i, j, 0), (num, 1, 1, channels))[:, 0, 0]
    pixel = output.sample_substep(params, step_uniforms(rng, t, num, output), pixel, sub)
    return jax.lax.dynamic_update_slice(canvas, pixel[:, None, None], (0, i, j, 0)), None

  canvas = jnp.zeros((num, height, width, channels), jnp.int32)
  canvas, _ = jax.lax.scan(step, canvas, jnp.arange(height * width * output.substeps))
  return canvas


def sample_cached(init_fn: Callable, pixel_fn: Callable, row_fn: Callable | None, output, shape,
                  rng: jax.Array, num: int) -> jax.Array:
  """Ancestral sampling that computes every layer only where a new pixel changes it.

  A scan over rows, and inside it a scan over the row's pixels and substeps.

  Args:
    init_fn: () -> cache (the model's 'cache' collection for `num` images).
    pixel_fn: (cache, x [num, H, W, C] in [-1, 1], i, j) -> (params [num, P], cache): the
      outputs at (i, j). x is the canvas so far: the input layer reads its window from it,
      every later layer from its cache, which earlier steps filled.
    row_fn: (cache, x, i) -> cache, run once row i is complete (parts of the model that need
      a whole row: the Gated PixelCNN's vertical stack, the right-to-left Diagonal LSTM), or
      None.
    output, shape, rng, num: as in `sample_plain`; the same key gives the same samples.
  Returns:
    int32 levels [num, H, W, C].
  """
  height, width, channels = shape
  num_levels, substeps = output.num_levels, output.substeps

  def row_step(carry, i):
    def pixel_step(carry, js):
      canvas, cache = carry
      j, sub = jnp.divmod(js, substeps)
      params, cache = pixel_fn(cache, to_unit(canvas, num_levels), i, j)
      pixel = jax.lax.dynamic_slice(canvas, (0, i, j, 0), (num, 1, 1, channels))[:, 0, 0]
      t = (i * width + j) * substeps + sub
      pixel = output.sample_substep(params, step_uniforms(rng, t, num, output), pixel, sub)
      canvas = jax.lax.dynamic_update_slice(canvas, pixel[:, None, None], (0, i, j, 0))
      return (canvas, cache), None

    (canvas, cache), _ = jax.lax.scan(pixel_step, carry, jnp.arange(width * substeps))
    if row_fn is not None:
      cache = row_fn(cache, to_unit(canvas, num_levels), i)
    return (canvas, cache), None

  canvas = jnp.zeros((num, height, width, channels), jnp.int32)
  (canvas, _), _ = jax.lax.scan(row_step, (canvas, init_fn()), jnp.arange(height))
  return canvas


def model_sampler(model, params, output, shape, label, sampler: str) -> Callable:
  """`(rng, num) -> levels` of a pixel model with the 'plain' or 'cached' sampler."""
  def plain(rng, num):
    return sample_plain(lambda x: model.apply({'params': params}, x, label), output, shape,
                        rng, num)

  def cached(rng, num):
    def init_fn():
      x = jnp.zeros((num,) + tuple(shape), jnp.float32)
      _, variables = model.apply({'params': params}, x, label, decode='init', mutable=['cache'])
      return variables['cache']

    def pixel_fn(cache, x, i, j):
      out, variables = model.apply({'params': params, 'cache': cache}, x, label,
                                   decode='pixel', row=i, col=j, mutable=['cache'])
      return out[:, 0, 0], variables['cache']

    def row_fn(cache, x, i):
      _, variables = model.apply({'params': params, 'cache': cache}, x, label, decode='row',
                                 row=i, mutable=['cache'])
      return variables['cache']

    return sample_cached(init_fn, pixel_fn, row_fn if model.row_phase else None, output,
                         shape, rng, num)

  return cached if sampler == 'cached' else plain
