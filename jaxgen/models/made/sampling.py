"""Exact ancestral sampling from a MADE: one jitted `lax.scan` over the D positions.

Step t fills in dimension `argsort(degrees)[t]` from a forward pass on the samples so far,
driven by the uniforms of `jax.random.split(rng, D)[t]` (`jaxgen.nn.outputs.Bernoulli`).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxgen.nn.outputs import Bernoulli


def sample(net, params, degrees: jax.Array, masks, rng: jax.Array, num: int) -> jax.Array:
  """Exact samples of a binary MADE under one mask set.

  Args:
    net: the `jaxgen.nn.masked.MADE` module (one output per dimension).
    params: its parameters.
    degrees: int [D], the input ordering of the mask set (degree d is sampled d-th).
    masks: the mask set (`model.mask_set(...)[1]`).
    rng: key.
    num: number of samples.
  Returns:
    float32 {0, 1} samples [num, D].
  """
  dim = degrees.shape[0]
  positions = jnp.argsort(degrees)  # positions[t]: the dimension sampled at step t.
  keys = jax.random.split(rng, dim)
  out = Bernoulli()

  def step(x, inputs):
    d, key = inputs
    logits = net.apply({'params': params}, x, masks)[:, d]
    return x.at[:, d].set(out.sample(logits, jax.random.uniform(key, (num,)))), None

  x, _ = jax.lax.scan(step, jnp.zeros((num, dim), jnp.float32), (positions, keys))
  return x
