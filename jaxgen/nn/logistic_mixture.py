"""The discretised mixture of logistics (Salimans et al. 2017, PixelCNN++, eq. 2).

A scalar x on the grid of `num_bins` evenly spaced values in [-1, 1] (bin centres
c_j = -1 + 2 j / (num_bins - 1), half-width h = 1 / (num_bins - 1)) has probability

  P(x) = sum_k pi_k [ sigma((x + h - mu_k) / s_k) - sigma((x - h - mu_k) / s_k) ],

where the lowest bin takes all mass below -1 + h (its lower CDF term is 0) and the highest
all mass above 1 - h (its upper term is 1), so the probabilities of the grid sum to one.
PixelCNN++ uses it for 8-bit pixels (256 bins); Parallel WaveNet (van den Oord et al. 2018)
and ClariNet for 16-bit audio (65,536 bins).

The log of the bin probability is computed without cancellation from the identity
  sigma(a) - sigma(b) = sigma(a) sigma(-b) (1 - exp(b - a)),   a > b,
so  log P_k = log sigma(a) + log sigma(-b) + log(-expm1(-(a - b))), with a - b = 2h / s_k.
This is exact for tiny bins (no PixelCNN++ density fallback is needed at 65,536 bins).

Parameters come either as three arrays `logit_probs, means, log_scales` of shape [..., K], or
packed as [..., 3K] in that order (`split_params`). Everything broadcasts over leading axes.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

LOG_SCALE_MIN = -7.0


def split_params(params: jax.Array, num_mixtures: int | None = None):
  """[..., 3K] -> (logit_probs, means, log_scales), each [..., K]."""
  if params.shape[-1] % 3:
    raise ValueError(f'Packed logistic-mixture parameters need a last axis of 3K, got '
                     f'{params.shape}.')
  k = params.shape[-1] // 3
  if num_mixtures is not None and k != num_mixtures:
    raise ValueError(f'Packed parameters of width {params.shape[-1]} hold {k} components, '
                     f'not num_mixtures={num_mixtures}.')
  return params[..., :k], params[..., k:2 * k], params[..., 2 * k:]


def _check(logit_probs, means, log_scales, num_bins):
  if not logit_probs.shape == means.shape == log_scales.shape:
    raise ValueError(f'logit_probs, means and log_scales need one shape [..., K]; got '
                     f'{logit_probs.shape}, {means.shape}, {log_scales.shape}.')
  if num_bins < 2:
    raise ValueError(f'num_bins must be at least 2, got {num_bins}.')


def _log_one_minus_exp_neg(log_delta: jax.Array) -> jax.Array:
  """log(1 - exp(-delta)) from log(delta), finite (with finite gradients) for any delta > 0."""
  delta = jnp.exp(log_delta)
  small = delta < 1e-2
  series = log_delta - delta / 2 + delta**2 / 24   # error O(delta^4) below 1e-2
  exact = jnp.log(-jnp.expm1(-jnp.where(small, 1.0, delta)))
  return jnp.where(small, series, exact)


def bin_log_probs(x: jax.Array, means: jax.Array, log_scales: jax.Array, num_bins: int,
                  log_scale_min: float = LOG_SCALE_MIN) -> jax.Array:
  """log P(x | component k) for every component: x [...], means/log_scales [..., K] -> [..., K]."""
  log_scales = jnp.maximum(log_scales, log_scale_min)
  half = 1.0 / (num_bins - 1)
  inv_s = jnp.exp(-log_scales)
  centred = x[..., None] - means
  upper = inv_s * (centred + half)     # a: standardised upper bin edge
  lower = inv_s * (centred - half)     # b: standardised lower bin edge
  log_cdf_upper = jax.nn.log_sigmoid(upper)          # used alone at the lowest bin
  log_sf_lower = jax.nn.log_sigmoid(-lower)          # used alone at the highest bin
  interior = log_cdf_upper + log_sf_lower + _log_one_minus_exp_neg(
      jnp.log(2.0 * half) - log_scales)
  xb = jnp.broadcast_to(x[..., None], interior.shape)
  return jnp.where(xb < -1.0 + half, log_cdf_upper,
                   jnp.where(xb > 1.0 - half, log_sf_lower, interior))


def log_prob(x: jax.Array, logit_probs: jax.Array, means: jax.Array, log_scales: jax.Array,
             num_bins: int = 256, log_scale_min: float = LOG_SCALE_MIN) -> jax.Array:
  """log P(x) of the discretised logistic mixture (PixelCNN++ eq. 2).

  Args:
    x: values on the grid in [-1, 1], shape [...].
    logit_probs: unnormalised mixture weights log pi, [..., K].
    means: component locations mu_k, [..., K].
    log_scales: log s_k, [..., K] (clipped below at `log_scale_min`).
    num_bins: the number of grid values (256 for 8 bits, 65536 for 16 bits).
  Returns:
    log-probabilities, shape [...].
  """
  _check(logit_probs, means, log_scales, num_bins)
  if x.shape != logit_probs.shape[:-1]:
    x = jnp.broadcast_to(x, logit_probs.shape[:-1])
  per_component = bin_log_probs(x, means, log_scales, num_bins, log_scale_min)
  return jax.nn.logsumexp(jax.nn.log_softmax(logit_probs, -1) + per_component, -1)


def quantize(x: jax.Array, num_bins: int) -> jax.Array:
  """Values -> the nearest of the `num_bins` grid values in [-1, 1] (clipped first)."""
  j = jnp.round((jnp.clip(x, -1.0, 1.0) + 1.0) * 0.5 * (num_bins - 1))
  # (2j - (B - 1)) is an exact integer; one correctly rounded division then gives the same
  # float for the same bin however the expression is compiled (no fused multiply-add).
  return (2.0 * j - (num_bins - 1)) / (num_bins - 1)


def categorical_from_uniform(u: jax.Array, logits: jax.Array) -> jax.Array:
  """Inverse-CDF draw from Categorical(softmax(logits)).

  u: [...] uniforms in [0, 1); logits: [..., K]. Returns int32 [...].
  """
  cdf = jnp.cumsum(jax.nn.softmax(logits, axis=-1), axis=-1)
  k = jnp.sum(cdf < u[..., None] * cdf[..., -1:], axis=-1)
  return jnp.minimum(k, logits.shape[-1] - 1).astype(jnp.int32)


def sample_from_uniforms(u_component: jax.Array, u_logistic: jax.Array, logit_probs: jax.Array,
                         means: jax.Array, log_scales: jax.Array, num_bins: int = 256,
                         temperature: float = 1.0,
                         log_scale_min: float = LOG_SCALE_MIN) -> jax.Array:
  """`sample` driven by given uniforms [...] (one per draw for the component, one for x).

  The component is the inverse CDF of softmax(logit_probs / T) at `u_component`; x is the
  logistic quantile mu_k + T s_k logit(u_logistic), clipped and rounded to the grid.
  Sharing the uniforms makes two computations of the same distribution draw the same value.
  """
  _check(logit_probs, means, log_scales, num_bins)
  if temperature <= 0:
    raise ValueError(f'temperature must be positive, got {temperature}.')
  k = categorical_from_uniform(u_component, logit_probs / temperature)
  pick = lambda a: jnp.take_along_axis(a, k[..., None], -1)[..., 0]
  mean = pick(means)
  scale = jnp.exp(jnp.maximum(pick(log_scales), log_scale_min)) * temperature
  u = jnp.clip(u_logistic, 1e-5, 1.0 - 1e-5)
  return quantize(mean + scale * (jnp.log(u) - jnp.log1p(-u)), num_bins)


def sample(rng: jax.Array, logit_probs: jax.Array, means: jax.Array, log_scales: jax.Array,
           num_bins: int = 256, temperature: float = 1.0,
           log_scale_min: float = LOG_SCALE_MIN) -> jax.Array:
  """Draws x on the grid from the discretised mixture; params [..., K] -> x [...].

  A component k ~ Categorical(softmax(logit_probs / T)) and a logistic draw
  mu_k + T s_k (log u - log(1 - u)) are rounded to the nearest grid value after clipping to
  [-1, 1]; with T = 1 this is an exact draw from `log_prob`'s distribution, because rounding
  the continuous logistic to the grid integrates its density over each bin (and the edge bins
  take the tails). T -> 0 tends to the mean of the most probable component.
  """
  u = jax.random.uniform(rng, (2,) + logit_probs.shape[:-1])
  return sample_from_uniforms(u[0], u[1], logit_probs, means, log_scales, num_bins,
                              temperature, log_scale_min)


@functools.lru_cache(maxsize=None)
def _distribution_class():
  """Builds the distrax class on first use (importing distrax takes about a second)."""
  import distrax  # pylint: disable=g-import-not-at-top

  class DiscretizedLogisticMixture(distrax.Distribution):
    """The discretised logistic mixture as a distrax distribution with scalar events.

    `DiscretizedLogisticMixture(logit_probs, means, log_scales, num_bins)`, params [..., K];
    batch shape [...], event shape (). `log_prob` and `sample` are the functions of this module.
    """

    def __init__(self, logit_probs, means, log_scales, num_bins: int = 256,
                 log_scale_min: float = LOG_SCALE_MIN):
      super().__init__()
      _check(logit_probs, means, log_scales, num_bins)
      self.logit_probs, self.means, self.log_scales = logit_probs, means, log_scales
      self.num_bins, self.log_scale_min = num_bins, log_scale_min

    @classmethod
    def from_params(cls, params: jax.Array, num_bins: int = 256, **kwargs):
      """From packed [..., 3K] parameters."""
      return cls(*split_params(params), num_bins=num_bins, **kwargs)

    @property
    def event_shape(self):
      return ()

    @property
    def batch_shape(self):
      return self.logit_probs.shape[:-1]

    def log_prob(self, value):
      return log_prob(value, self.logit_probs, self.means, self.log_scales, self.num_bins,
                      self.log_scale_min)

    def _sample_n(self, key, n):
      shape = (n,) + self.logit_probs.shape
      b = lambda a: jnp.broadcast_to(a, shape)
      return sample(key, b(self.logit_probs), b(self.means), b(self.log_scales), self.num_bins,
                    log_scale_min=self.log_scale_min)

    def mean(self):
      """Mean of the continuous (undiscretised, unclipped) mixture: sum_k pi_k mu_k."""
      return jnp.sum(jax.nn.softmax(self.logit_probs, -1) * self.means, -1)

  return DiscretizedLogisticMixture


def __getattr__(name):
  if name == 'DiscretizedLogisticMixture':
    return _distribution_class()
  raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
