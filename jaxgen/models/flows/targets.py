"""Unnormalised 2-D target densities p~(z) = exp(-U(z)) for flows trained by reverse KL.

The four energies of Rezende & Mohamed 2015 ("Variational Inference with Normalizing
Flows", table 1, figure 3), with w1(z) = sin(2 pi z1 / 4), w2(z) = 3 exp(-((z1 - 1)/0.6)^2 / 2)
and w3(z) = 3 sigmoid((z1 - 1) / 0.3):

  u1  1/2 ((|z| - 2) / 0.4)^2 - log(exp(-((z1 - 2)/0.6)^2 / 2) + exp(-((z1 + 2)/0.6)^2 / 2))
  u2  1/2 ((z2 - w1) / 0.4)^2
  u3  -log(exp(-((z2 - w1)/0.35)^2 / 2) + exp(-((z2 - w1 + w2)/0.35)^2 / 2))
  u4  -log(exp(-((z2 - w1)/0.4)^2 / 2) + exp(-((z2 - w1 + w3)/0.35)^2 / 2))

u2-u4 are not normalisable along z1; as in the paper's figures they are read on the box
[-4, 4]^2, here by multiplying them with a broad N(0, 4^2) factor in z1 (noted in `ENERGIES`).
`log_normalizer` integrates exp(-U) on a grid, so KL(q || p) = E_q[log q - log p~] + log Z
can be reported in nats.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


def _w1(z):
  return jnp.sin(2 * jnp.pi * z[..., 0] / 4)


def _w2(z):
  return 3 * jnp.exp(-0.5 * jnp.square((z[..., 0] - 1) / 0.6))


def _w3(z):
  return 3 * jax.nn.sigmoid((z[..., 0] - 1) / 0.3)


def _two(a, b):
  return -jnp.logaddexp(-0.5 * jnp.square(a), -0.5 * jnp.square(b))


def _box(z):
  return 0.5 * jnp.square(z[..., 0] / 4.0)


def u1(z):
  r = jnp.sqrt(jnp.sum(jnp.square(z), -1) + 1e-12)
  return 0.5 * jnp.square((r - 2) / 0.4) + _two((z[..., 0] - 2) / 0.6, (z[..., 0] + 2) / 0.6)


def u2(z):
  return 0.5 * jnp.square((z[..., 1] - _w1(z)) / 0.4) + _box(z)


def u3(z):
  return _two((z[..., 1] - _w1(z)) / 0.35, (z[..., 1] - _w1(z) + _w2(z)) / 0.35) + _box(z)


def u4(z):
  return _two((z[..., 1] - _w1(z)) / 0.4, (z[..., 1] - _w1(z) + _w3(z)) / 0.35) + _box(z)


ENERGIES = {'u1': u1, 'u2': u2, 'u3': u3, 'u4': u4}


def energy(name: str):
  """U of target `name`: [..., 2] -> [...]; log p~ = -U."""
  if name not in ENERGIES:
    raise ValueError(f'Unknown target {name!r}; valid: {sorted(ENERGIES)}.')
  return ENERGIES[name]


def log_normalizer(name: str, extent: float = 8.0, num: int = 801) -> float:
  """log Z = log of the integral of exp(-U) over [-extent, extent]^2 (trapezoid rule)."""
  t = np.linspace(-extent, extent, num)
  z = np.stack(np.meshgrid(t, t, indexing='ij'), -1)
  log_p = -np.asarray(energy(name)(jnp.asarray(z, jnp.float32)), np.float64)
  m = log_p.max()
  return float(m + np.log(np.trapezoid(np.trapezoid(np.exp(log_p - m), t, axis=1), t)))
