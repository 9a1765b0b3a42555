"""Output distributions: what a network's last layer parameterises, in one small protocol.

Every autoregressive model here ends in per-position parameters of a distribution. The families
share these classes (MADE's Bernoulli pixels, WaveNet's mu-law softmax or 16-bit logistic
mixture, the pixel models' per-channel softmax or PixelCNN++ mixture, the token models'
softmax), each with the same three members:

  num_params                        parameters per position (the network's output width)
  log_prob(params, x) -> [...]      log p(x) of a value x [...] under params [..., num_params]
  sample(params, u, temperature=1)  a draw driven by uniforms u [..., num_uniforms] (inverse
                                    CDF), so two computations of the same distribution that
                                    share the uniforms draw the same value (naive == cached
                                    samplers) and no random bits are generated inside a scan.

The pixel outputs are per *pixel* (C channels at once) and add `substeps` / `sample_substep`
for channel-by-channel sampling (PixelRNN section 3.4).

References: Germain et al. 2015 (MADE, eq. 3); van den Oord et al. 2016a (PixelRNN, section
2.2, the 256-way softmax); van den Oord et al. 2016 (WaveNet, section 2.2, mu-law softmax);
Salimans et al. 2017 (PixelCNN++, eq. 2-3, the discretised logistic mixture with linear
channel coupling).
"""
from __future__ import annotations

from typing import Protocol

import jax
import jax.numpy as jnp

from jaxgen.nn import logistic_mixture as lm


class OutputDistribution(Protocol):
  """The protocol every output distribution follows (see the module docstring)."""
  num_params: int
  num_uniforms: int

  def log_prob(self, params: jax.Array, x: jax.Array) -> jax.Array:
    ...

  def sample(self, params: jax.Array, u: jax.Array, temperature: float = 1.0) -> jax.Array:
    ...


def to_unit(levels: jax.Array, num_levels: int) -> jax.Array:
  """Levels {0..L-1} -> evenly spaced values in [-1, 1] (float32): the grid of `num_levels`."""
  return levels.astype(jnp.float32) * (2.0 / (num_levels - 1)) - 1.0


def _greedy_or_scaled(logits: jax.Array, temperature: float):
  if temperature < 0:
    raise ValueError(f'temperature must be >= 0, got {temperature}.')
  return None if temperature == 0 else logits / temperature


class Bernoulli:
  """Binary values with p(x = 1) = sigmoid(logit); params [..., 1] or [...] (squeezed)."""
  num_params = 1
  num_uniforms = 1

  @staticmethod
  def _logits(params):
    return params[..., 0] if params.ndim and params.shape[-1] == 1 else params

  def log_prob(self, params: jax.Array, x: jax.Array) -> jax.Array:
    """x log sigmoid(l) + (1 - x) log sigmoid(-l) (MADE eq. 3), elementwise."""
    logits = self._logits(params)
    return x * jax.nn.log_sigmoid(logits) + (1 - x) * jax.nn.log_sigmoid(-logits)

  def sample(self, params: jax.Array, u: jax.Array, temperature: float = 1.0) -> jax.Array:
    """1 where u < sigmoid(l / T) (T = 0: where l > 0), float32; u [...] or [..., 1]."""
    logits = self._logits(params)
    u = u[..., 0] if u.ndim > logits.ndim else u
    scaled = _greedy_or_scaled(logits, temperature)
    if scaled is None:
      return (logits > 0).astype(jnp.float32)
    return (u < jax.nn.sigmoid(scaled)).astype(jnp.float32)


class Categorical:
  """A `num_classes`-way softmax: params [..., K] are logits, values int32 [...]."""
  num_uniforms = 1

  def __init__(self, num_classes: int):
    if num_classes < 2:
      raise ValueError(f'num_classes must be >= 2, got {num_classes}.')
    self.num_classes = self.num_params = num_classes

  def log_prob(self, params: jax.Array, x: jax.Array) -> jax.Array:
    logp = jax.nn.log_softmax(params, axis=-1)
    return jnp.take_along_axis(logp, x[..., None].astype(jnp.int32), -1)[..., 0]

  def sample(self, params: jax.Array, u: jax.Array, temperature: float = 1.0) -> jax.Array:
    """Inverse CDF of softmax(logits / T) at u [...] (or [..., 1]); T = 0 is the argmax."""
    u = u[..., 0] if u.ndim == params.ndim else u
    scaled = _greedy_or_scaled(params, temperature)
    if scaled is None:
      return jnp.argmax(params, -1).astype(jnp.int32)
    return lm.categorical_from_uniform(u, scaled)


class DiscretizedLogisticMixture:
  """PixelCNN++'s discretised logistic mixture of scalars on a grid of `num_bins` values in
  [-1, 1] (`jaxgen.nn.logistic_mixture`); params packed [..., 3K], values float [...]."""
  num_uniforms = 2

  def __init__(self, num_mixtures: int, num_bins: int):
    if num_mixtures < 1:
      raise ValueError(f'num_mixtures must be >= 1, got {num_mixtures}.')
    self.num_mixtures, self.num_bins = num_mixtures, num_bins
    self.num_params = 3 * num_mixtures

  def log_prob(self, params: jax.Array, x: jax.Array) -> jax.Array:
    return lm.log_prob(x, *lm.split_params(params), num_bins=self.num_bins)

  def sample(self, params: jax.Array, u: jax.Array, temperature: float = 1.0) -> jax.Array:
    """u [..., 2]: the component's and the logistic's uniforms; T = 0 tends to the mean of
    the most probable component (computed at T = 1e-4)."""
    return lm.sample_from_uniforms(u[..., 0], u[..., 1], *lm.split_params(params),
                                   num_bins=self.num_bins, temperature=temperature or 1e-4)


# --------------------------------------------------------------------------- pixels
class PixelCategorical:
  """A `num_levels`-way softmax for each of C channels of a pixel; params [..., C L]
  (channel-major blocks), values int32 levels [..., C]. The channels are coupled by the
  network's masks, so sampling goes channel by channel (`substeps` = C)."""
  num_uniforms = 1

  def __init__(self, num_levels: int, num_channels: int):
    if num_levels < 2:
      raise ValueError(f'num_levels must be >= 2, got {num_levels}.')
    self.num_levels, self.num_channels = num_levels, num_channels
    self.num_groups = num_channels       # channel-by-channel masks (PixelRNN section 3.4)
    self.num_params = num_channels * num_levels
    self.substeps = num_channels         # one sampling step per channel

  def logits(self, params: jax.Array) -> jax.Array:
    return params.reshape(params.shape[:-1] + (self.num_channels, self.num_levels))

  def log_prob(self, params: jax.Array, levels: jax.Array) -> jax.Array:
    """log p(pixel) = sum_c log softmax(logits_c)[x_c]; params [..., C L], levels [..., C]."""
    logp = jax.nn.log_softmax(self.logits(params), -1)
    return jnp.take_along_axis(logp, levels[..., None].astype(jnp.int32), -1)[..., 0].sum(-1)

  def sample(self, params: jax.Array, u: jax.Array, temperature: float = 1.0) -> jax.Array:
    """Every channel from its own logits (valid when params already condition on the
    pixel's earlier channels); u [..., C] -> levels [..., C]."""
    return Categorical(self.num_levels).sample(self.logits(params), u, temperature)

  def sample_substep(self, params: jax.Array, u: jax.Array, pixel: jax.Array,
                     substep) -> jax.Array:
    """Draws channel `substep`: params [b, C L], u [b, 1], pixel [b, C] int -> [b, C]."""
    logits = jnp.take(self.logits(params), substep, axis=1)
    value = lm.categorical_from_uniform(u[:, 0], logits).astype(pixel.dtype)
    return jax.lax.dynamic_update_index_in_dim(pixel, value[:, None], substep, axis=1)

  def init_bias(self, levels: jax.Array) -> jax.Array:
    """Output bias: log of the (add-one smoothed) level frequencies of each channel, [C L]."""
    counts = jax.nn.one_hot(levels, self.num_levels).sum(tuple(range(levels.ndim - 1))) + 1.0
    return jnp.log(counts / counts.sum(-1, keepdims=True)).reshape(-1)


class PixelLogisticMixture:
  """PixelCNN++'s discretised logistic mixture with linear channel coupling, per pixel.

  params [..., P], P = K (mixture logits) + 2 C K (means, log-scales) + C (C - 1) / 2 K
  (coupling coefficients, squashed by tanh as in PixelCNN++); values int32 levels [..., C].
  One mixture indicator per pixel and the channel means coupled linearly,
    mu_G = mu_G' + a x_R,   mu_B = mu_B' + b x_R + c x_G,
  so the network predicts whole pixels (`substeps` = 1).
  """

  def __init__(self, num_levels: int, num_channels: int, num_mixtures: int):
    if num_mixtures < 1:
      raise ValueError(f'num_mixtures must be >= 1, got {num_mixtures}.')
    self.num_levels, self.num_channels, self.num_mixtures = num_levels, num_channels, num_mixtures
    self.num_coeffs = num_channels * (num_channels - 1) // 2
    self.num_groups = 1                  # whole pixels: the coupling orders the channels
    self.num_params = num_mixtures * (1 + 2 * num_channels + self.num_coeffs)
    self.substeps = 1
    self.num_uniforms = 1 + num_channels

  def unpack(self, params: jax.Array):
    """params [..., P] -> (logit_probs [..., K], means [..., C, K], log_scales [..., C, K],
    coeffs [..., C(C-1)/2, K])."""
    k, c = self.num_mixtures, self.num_channels
    lead = params.shape[:-1]
    logit_probs = params[..., :k]
    means = params[..., k:k + c * k].reshape(lead + (c, k))
    log_scales = params[..., k + c * k:k + 2 * c * k].reshape(lead + (c, k))
    coeffs = jnp.tanh(params[..., k + 2 * c * k:].reshape(lead + (self.num_coeffs, k)))
    return logit_probs, means, log_scales, coeffs

  def coupled_mean(self, means, coeffs, x, c: int):
    """mu_c + sum_{c' < c} coeff_{c, c'} x_{c'} (PixelCNN++ section 2.2); x [..., C] -> [..., K]."""
    mean = means[..., c, :]
    for prev in range(c):
      index = c * (c - 1) // 2 + prev
      mean = mean + coeffs[..., index, :] * x[..., prev, None]
    return mean

  def log_prob(self, params: jax.Array, levels: jax.Array) -> jax.Array:
    """log p(pixel) = logsumexp_k [log pi_k + sum_c log P(x_c | k, x_{<c})]; -> [...]."""
    logit_probs, means, log_scales, coeffs = self.unpack(params)
    x = to_unit(levels, self.num_levels)
    total = jax.nn.log_softmax(logit_probs, -1)
    for c in range(self.num_channels):
      mean = self.coupled_mean(means, coeffs, x, c)
      total = total + lm.bin_log_probs(x[..., c], mean, log_scales[..., c, :], self.num_levels)
    return jax.nn.logsumexp(total, -1)

  def sample(self, params: jax.Array, u: jax.Array, temperature: float = 1.0) -> jax.Array:
    """A whole pixel: the component from u[..., 0], then the channels in order, each the
    logistic quantile at u[..., 1 + c] around its coupled mean; -> int32 levels [..., C]."""
    if temperature <= 0:
      raise ValueError(f'temperature must be positive, got {temperature}.')
    logit_probs, means, log_scales, coeffs = self.unpack(params)
    k = lm.categorical_from_uniform(u[..., 0], logit_probs / temperature)[..., None]
    pick = lambda a: jnp.take_along_axis(a, k, -1)[..., 0]
    uc = jnp.clip(u[..., 1:], 1e-5, 1.0 - 1e-5)
    x = jnp.zeros(u.shape[:-1] + (self.num_channels,), jnp.float32)
    for c in range(self.num_channels):
      mean = pick(self.coupled_mean(means, coeffs, x, c))
      scale = jnp.exp(jnp.maximum(pick(log_scales[..., c, :]), lm.LOG_SCALE_MIN)) * temperature
      value = lm.quantize(mean + scale * (jnp.log(uc[..., c]) - jnp.log1p(-uc[..., c])),
                          self.num_levels)
      x = x.at[..., c].set(value)
    return jnp.round((x + 1.0) * 0.5 * (self.num_levels - 1)).astype(jnp.int32)

  def sample_substep(self, params: jax.Array, u: jax.Array, pixel: jax.Array,
                     substep) -> jax.Array:
    del substep
    return self.sample(params, u).astype(pixel.dtype)
