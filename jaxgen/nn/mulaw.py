"""Mu-law companding and 8-bit quantisation of audio (ITU-T G.711; WaveNet section 2.2).

WaveNet (van den Oord et al. 2016, eq. 1) models 16-bit audio as 256 classes after the
mu-law companding transformation

  f(x) = sign(x) ln(1 + mu |x|) / ln(1 + mu),          x in [-1, 1],  mu = 255,

followed by uniform quantisation of f(x) in [-1, 1] into mu + 1 levels. Decoding maps a level
back to the centre of its companded bin and expands it with the inverse

  f^-1(y) = sign(y) ((1 + mu)^|y| - 1) / mu.

The functions work on `jax.Array`s (and numpy arrays) of any shape.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

MU = 255


def mu_law_compress(x: jax.Array, mu: int = MU) -> jax.Array:
  """The companding transform f(x) (WaveNet eq. 1); x and the result in [-1, 1]."""
  x = jnp.clip(jnp.asarray(x, jnp.float32), -1.0, 1.0)
  return jnp.sign(x) * jnp.log1p(mu * jnp.abs(x)) / jnp.log1p(float(mu))


def mu_law_expand(y: jax.Array, mu: int = MU) -> jax.Array:
  """The inverse transform f^-1(y); y and the result in [-1, 1]."""
  y = jnp.asarray(y, jnp.float32)
  x = jnp.sign(y) * jnp.expm1(jnp.abs(y) * jnp.log1p(float(mu))) / mu
  return jnp.clip(x, -1.0, 1.0)   # f^-1(+-1) = +-1 exactly (float32 gives 1 + 1e-7)


def mu_law_encode(x: jax.Array, mu: int = MU) -> jax.Array:
  """Audio in [-1, 1] -> int32 classes in {0, ..., mu}: round((f(x) + 1) / 2 * mu).

  Args:
    x: audio, any shape, values in [-1, 1] (clipped).
    mu: the companding parameter; there are mu + 1 classes.
  Returns:
    int32 classes, same shape as `x`.
  """
  y = mu_law_compress(x, mu)
  return jnp.clip(jnp.round((y + 1.0) * 0.5 * mu), 0, mu).astype(jnp.int32)


def mu_law_decode(q: jax.Array, mu: int = MU) -> jax.Array:
  """int classes in {0, ..., mu} -> audio in [-1, 1] (the expanded centre of the class)."""
  y = 2.0 * jnp.asarray(q, jnp.float32) / mu - 1.0
  return mu_law_expand(y, mu)


def classes_to_unit(q: jax.Array, num_classes: int) -> jax.Array:
  """int classes {0..num_classes-1} -> their evenly spaced values in [-1, 1] (companded domain)."""
  return 2.0 * jnp.asarray(q, jnp.float32) / (num_classes - 1) - 1.0
