"""The GAN game's mathematics (Goodfellow et al. 2014, "Generative Adversarial Nets").

The value function (eq. 1), for a discriminator D(x) = sigmoid(logit(x)):

  V(D, G) = E_{x ~ p_data}[log D(x)] + E_{z ~ p_z}[log(1 - D(G(z)))].

The discriminator ascends V; the generator descends it (the *minimax* game), or in practice
ascends log D(G(z)) (the *non-saturating* loss, section 3), which has the same fixed point but
strong gradients early in training. SAGAN and BigGAN use the *hinge* loss (Lim & Ye 2017;
Miyato et al. 2018, eq. 16; Zhang et al. 2018, eq. 3).

For a fixed G the optimal discriminator is (Proposition 1)

  D*_G(x) = p_data(x) / (p_data(x) + p_g(x)),   logit D*_G(x) = log p_data(x) - log p_g(x),

and at D*_G the value is (Theorem 1)

  V(D*_G, G) = -log 4 + 2 JSD(p_data || p_g),

which is minimal (-log 4) exactly when p_g = p_data.

All losses take discriminator *logits* (pre-sigmoid), computed with `softplus` so that they stay
finite for any logit: -log sigmoid(a) = softplus(-a), -log(1 - sigmoid(a)) = softplus(a).
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

LOSSES = ('minimax', 'non_saturating', 'hinge')


def _check_loss(kind: str):
  if kind not in LOSSES:
    raise ValueError(f'Unknown GAN loss {kind!r}; valid: {", ".join(LOSSES)}.')


# --------------------------------------------------------------------------------- losses
def discriminator_loss(kind: str, real_logits: jax.Array, fake_logits: jax.Array) -> jax.Array:
  """The discriminator's loss (to minimise), a scalar mean over the batch.

  minimax / non_saturating (Goodfellow et al. 2014, eq. 1; D's side is the same in both):
    L_D = -E[log D(x)] - E[log(1 - D(G(z)))] = E[softplus(-l_real)] + E[softplus(l_fake)] = -V.
  hinge (Zhang et al. 2018, eq. 3):
    L_D = E[max(0, 1 - l_real)] + E[max(0, 1 + l_fake)].

  Args:
    kind: one of LOSSES.
    real_logits: D's logits on data, [batch] (or [batch, 1]).
    fake_logits: D's logits on generated samples, [batch'] (or [batch', 1]).
  """
  _check_loss(kind)
  if kind == 'hinge':
    return jnp.mean(jax.nn.relu(1.0 - real_logits)) + jnp.mean(jax.nn.relu(1.0 + fake_logits))
  return jnp.mean(jax.nn.softplus(-real_logits)) + jnp.mean(jax.nn.softplus(fake_logits))


def generator_loss(kind: str, fake_logits: jax.Array) -> jax.Array:
  """The generator's loss (to minimise), a scalar mean over the batch.

  minimax:         L_G = E[log(1 - D(G(z)))] = -E[softplus(l_fake)]  (eq. 1; saturates when D
                   rejects the samples confidently).
  non_saturating:  L_G = -E[log D(G(z))] = E[softplus(-l_fake)]  (section 3 of the paper).
  hinge:           L_G = -E[l_fake]  (Zhang et al. 2018, eq. 3).

  Args:
    kind: one of LOSSES.
    fake_logits: D's logits on generated samples, [batch] (or [batch, 1]).
  """
  _check_loss(kind)
  if kind == 'minimax':
    return -jnp.mean(jax.nn.softplus(fake_logits))
  if kind == 'non_saturating':
    return jnp.mean(jax.nn.softplus(-fake_logits))
  return -jnp.mean(fake_logits)


def value_function(real_logits: jax.Array, fake_logits: jax.Array) -> jax.Array:
  """Monte-Carlo V(D, G) = E_data[log D(x)] + E_g[log(1 - D(x))] from D's logits (eq. 1)."""
  return -jnp.mean(jax.nn.softplus(-real_logits)) - jnp.mean(jax.nn.softplus(fake_logits))


# ----------------------------------------------------------------------- optimal discriminator
def optimal_discriminator(p_data, p_g):
  """D*_G(x) = p_data(x) / (p_data(x) + p_g(x)) (Proposition 1). Densities, any shape."""
  return p_data / (p_data + p_g)


def optimal_discriminator_logit(log_p_data, log_p_g):
  """logit D*_G(x) = log p_data(x) - log p_g(x): the log density ratio, stable in the tails."""
  return log_p_data - log_p_g


def optimal_value(jsd):
  """V(D*_G, G) = -log 4 + 2 JSD(p_data || p_g) (Theorem 1); JSD in nats."""
  return -math.log(4.0) + 2.0 * jsd


# ------------------------------------------------------------------ numerical integration (1-D)
def _trapezoid(y, x):
  y, x = np.asarray(y, np.float64), np.asarray(x, np.float64)
  return float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2.0)


def _check_grid(x, *densities):
  x = np.asarray(x, np.float64)
  if x.ndim != 1 or x.shape[0] < 3 or np.any(np.diff(x) <= 0):
    raise ValueError(f'The integration grid must be 1-D, increasing, with >= 3 points; got '
                     f'shape {x.shape}.')
  out = []
  for d in densities:
    d = np.asarray(d, np.float64)
    if d.shape != x.shape:
      raise ValueError(f'Densities must be evaluated on the grid: shape {d.shape} != {x.shape}.')
    out.append(d)
  return x, out


def _xlogy(a, b):
  return np.where(a > 0, a * np.log(np.where(a > 0, b, 1.0)), 0.0)


def jensen_shannon(x, p, q) -> float:
  """JSD(p || q) = KL(p || m)/2 + KL(q || m)/2, m = (p + q)/2, by the trapezoid rule (nats).

  Args:
    x: a 1-D increasing grid [n] that covers both densities' mass.
    p, q: the two densities evaluated on the grid, [n].
  """
  x, (p, q) = _check_grid(x, p, q)
  m = (p + q) / 2.0
  integrand = 0.5 * (_xlogy(p, p) - _xlogy(p, m)) + 0.5 * (_xlogy(q, q) - _xlogy(q, m))
  return _trapezoid(integrand, x)


def value_integral(x, p_data, p_g, logit) -> float:
  """V(D, G) = ∫ p_data log D + p_g log(1 - D) dx by the trapezoid rule (eq. 3 of the paper).

  D is given by its logit, so log D = -softplus(-logit) and log(1 - D) = -softplus(logit) stay
  finite where D rounds to 0 or 1 (the tails of D* = p_data / (p_data + p_g)).

  Args:
    x: a 1-D increasing grid [n]; p_data, p_g: densities on it [n]; logit: D's logit on it [n].
  """
  x, (p_data, p_g, logit) = _check_grid(x, p_data, p_g, logit)
  log_d, log_1md = -np.logaddexp(0.0, -logit), -np.logaddexp(0.0, logit)
  return _trapezoid(p_data * log_d + p_g * log_1md, x)
