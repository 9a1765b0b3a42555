"""Sampling from a GAN's generator: latents, classes and chunked draws.

Samples come from the EMA generator when one is kept (`GANTask.sampling_params`); with
`num_classes`, sample i has class i % num_classes. Drawing is jitted per chunk of
`model.sample_batch` so that scoring thousands of samples does not exhaust memory.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


def latents(rng: jax.Array, num: int, latent_dim: int, num_classes: int = 0):
  """(z [num, latent_dim] ~ N(0, I), classes [num] cycling 0..K-1 or None)."""
  z = jax.random.normal(rng, (num, latent_dim))
  y = jnp.arange(num) % num_classes if num_classes else None
  return z, y


def draw_chunked(draw_fn, rng: jax.Array, num: int, chunk: int) -> np.ndarray:
  """Concatenates `draw_fn(fold_in(rng, i), n)` over chunks of at most `chunk` samples."""
  out = []
  for i, start in enumerate(range(0, num, chunk)):
    out.append(np.asarray(draw_fn(jax.random.fold_in(rng, i), min(chunk, num - start))))
  return np.concatenate(out)
