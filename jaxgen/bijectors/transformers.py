"""Element-wise transformers: what a coupling or autoregressive bijector does to each element.

A transformer turns conditioner parameters `[..., num_params]` into a scalar distrax
bijector `tau(. ; params)` (event_ndims 0) that is applied element-wise (Papamakarios et al.
2021, "Normalizing Flows for Probabilistic Modeling and Inference", section 3.1):

  Affine                  tau(x) = s * x + t,  parameters (t, raw) with s = scale(raw)
                          log|dtau/dx| = log s
  Additive                tau(x) = x + t,      log|dtau/dx| = 0           (NICE)
  Gated                   tau(x) = sigma * x + (1 - sigma) * m,  sigma = sigmoid(s + bias)
                          log|dtau/dx| = log sigma   (IAF's update, Kingma et al. 2016 eq. 14)
  RationalQuadratic       monotone rational-quadratic spline on [-B, B] with identity
                          tails (Durkan et al. 2019, "Neural Spline Flows", eq. 4),
                          parameters: K widths, K heights, K + 1 knot slopes (3K + 1;
                          the two boundary slopes are fixed to 1 for identity tails).

Stable scale parameterisations for `Affine` (`scale_activation`):
  'exp'       log s = raw                              (MAF, Papamakarios et al. 2017 eq. 4)
  'tanh'      log s = bound * tanh(raw / bound)        soft-clamped log-scale: identity at
                                                       raw = 0 and |log s| < bound; RealNVP's
                                                       tanh-bounded scale (Dinh et al. 2017 s.4.1)
  'sigmoid'   s = sigmoid(raw + 2)                     Glow's coupling (Kingma & Dhariwal 2018,
                                                       official code), s in (0, 1)

Transformers are frozen dataclasses: hashable, so they ride along as static metadata when a
bijector passes through `jax.jit`.
"""
from __future__ import annotations

import dataclasses

import distrax
import jax
import jax.numpy as jnp

SCALE_ACTIVATIONS = ('exp', 'tanh', 'sigmoid')


def log_scale(raw: jax.Array, activation: str = 'tanh', bound: float = 3.0) -> jax.Array:
  """The log-scale of an affine transformer from the unconstrained `raw` output."""
  if activation == 'exp':
    return raw
  if activation == 'tanh':
    return bound * jnp.tanh(raw / bound)
  if activation == 'sigmoid':
    return jax.nn.log_sigmoid(raw + 2.0)
  raise ValueError(f'Unknown scale_activation {activation!r}; valid: {SCALE_ACTIVATIONS}.')


@dataclasses.dataclass(frozen=True)
class Affine:
  """tau(x) = exp(log_scale(raw)) * x + shift; parameters [..., 2] = (shift, raw)."""
  scale_activation: str = 'tanh'
  bound: float = 3.0
  num_params: int = dataclasses.field(default=2, init=False)

  def __post_init__(self):
    if self.scale_activation not in SCALE_ACTIVATIONS:
      raise ValueError(f'Unknown scale_activation {self.scale_activation!r}; '
                       f'valid: {SCALE_ACTIVATIONS}.')
    if self.bound <= 0:
      raise ValueError(f'Affine bound must be positive; got {self.bound}.')

  def __call__(self, params: jax.Array) -> distrax.Bijector:
    shift, raw = params[..., 0], params[..., 1]
    return distrax.ScalarAffine(
        shift=shift, log_scale=log_scale(raw, self.scale_activation, self.bound))


@dataclasses.dataclass(frozen=True)
class Additive:
  """tau(x) = x + shift; parameters [..., 1] = (shift,). Volume preserving (NICE eq. 7)."""
  num_params: int = dataclasses.field(default=1, init=False)

  def __call__(self, params: jax.Array) -> distrax.Bijector:
    return distrax.Shift(params[..., 0])


@dataclasses.dataclass(frozen=True)
class Gated:
  """tau(x) = sigma * x + (1 - sigma) * m, sigma = sigmoid(s + bias); parameters (m, s).

  The numerically stable update of Kingma et al. (2016, "Improved Variational Inference
  with Inverse Autoregressive Flow", eq. 14 and Algorithm 1): an LSTM-like gate between the
  previous value and the new mean m. Affine with a sigmoid scale spans the same maps, but
  with the shift (1 - sigma) * m the mean's gradient is damped as the gate closes, which the
  paper found to matter. `bias` starts the gate open (s = 0 gives sigma = sigmoid(bias),
  near 1: each step starts near the identity; the paper suggests +1 or +2). The log-det
  is log sigma, computed as log_sigmoid (no underflow for a closing gate).
  """
  bias: float = 2.0
  num_params: int = dataclasses.field(default=2, init=False)

  def __call__(self, params: jax.Array) -> distrax.Bijector:
    m, s = params[..., 0], params[..., 1] + self.bias
    return distrax.ScalarAffine(shift=jax.nn.sigmoid(-s) * m, log_scale=jax.nn.log_sigmoid(s))


@dataclasses.dataclass(frozen=True)
class RationalQuadratic:
  """Monotone rational-quadratic spline on [-bound, bound], identity outside (NSF, eq. 4).

  Parameters [..., 3 * num_bins + 1]: unnormalised bin widths, heights and knot slopes, as
  `distrax.RationalQuadraticSpline` takes them; with `boundary_slopes='identity'` the two
  end slopes are 1 so the tails join the identity smoothly (the two boundary slope
  parameters are then unused). All-zero parameters give the identity.
  """
  num_bins: int = 8
  bound: float = 3.0
  min_bin_size: float = 1e-4
  min_knot_slope: float = 1e-4

  def __post_init__(self):
    if self.num_bins < 1:
      raise ValueError(f'RationalQuadratic needs num_bins >= 1; got {self.num_bins}.')
    if self.bound <= 0:
      raise ValueError(f'RationalQuadratic bound must be positive; got {self.bound}.')

  @property
  def num_params(self) -> int:
    return 3 * self.num_bins + 1

  def __call__(self, params: jax.Array) -> distrax.Bijector:
    return distrax.RationalQuadraticSpline(
        params, range_min=-self.bound, range_max=self.bound, boundary_slopes='identity',
        min_bin_size=self.min_bin_size, min_knot_slope=self.min_knot_slope)
