"""Sampling a VAE: pixel means of p(x | z) for latents from the prior or from q(z | x).

Both are one parallel pass (an IAF posterior samples in one pass too); jit them with the
module and the count static.
"""
from __future__ import annotations

import jax

from jaxgen.models.vae.model import VAE


def prior_means(net: VAE, params, rng: jax.Array, num: int) -> jax.Array:
  """p(x = 1 | z) [num, H, W, C] for z ~ N(0, I)."""
  z = jax.random.normal(rng, (num, net.latent_dim))
  return jax.nn.sigmoid(net.apply({'params': params}, z, method=VAE.decode))


def reconstructions(net: VAE, params, x: jax.Array, rng: jax.Array) -> jax.Array:
  """p(x' = 1 | z) [n, H, W, C] for z ~ q(z | x), binary images x [n, H, W, C]."""
  eps = jax.random.normal(rng, (x.shape[0], net.latent_dim))
  z, _ = net.apply({'params': params}, x, eps, method=VAE.posterior_sample)
  return jax.nn.sigmoid(net.apply({'params': params}, z, method=VAE.decode))


def posterior_samples(net: VAE, params, x: jax.Array, rng: jax.Array, num: int):
  """z ~ q(z | x): [num, n, D] with log q(z | x) [num, n] (for plots of 2-D posteriors)."""
  eps = jax.random.normal(rng, (num, x.shape[0], net.latent_dim))
  z, log_q = net.apply({'params': params}, x, eps, method=VAE.posterior_sample)
  return z, log_q.sum(-1)
