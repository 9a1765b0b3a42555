"""Variational autoencoders with diagonal-Gaussian and inverse-autoregressive-flow posteriors.

Kingma & Welling (2014), "Auto-Encoding Variational Bayes", and Kingma, Salimans, Jozefowicz,
Chen, Sutskever & Welling (2016), "Improved Variational Inference with Inverse Autoregressive
Flow" (IAF). The generative model is p(z) = N(0, I) over D latents and a Bernoulli decoder
p(x | z); the posterior q(z | x) is sampled by reparameterisation:

  encoder      x -> (mu_0, log sigma_0, h)
  diagonal     z_0 = mu_0 + sigma_0 * eps,           eps ~ N(0, I)
               log q(z_0) = sum_i log N(eps_i) - log sigma_0,i
  IAF, T steps z_t = sigma_t * z_{t-1} + (1 - sigma_t) * m_t,
               [m_t, s_t] = MADE_t(z_{t-1}; h),  sigma_t = sigmoid(s_t + bias)   (eq. 14)
               log q(z_T) = log q(z_0) - sum_t sum_i log sigma_t,i              (eq. 15)
               with the ordering of z reversed between steps.

Each IAF step is `jaxgen.bijectors.IAF` with the gated transformer `bijectors.Gated` and a
MADE conditioner (`jaxgen.nn.masked.MADE`, hidden layers of 320 in the paper) that sees z in
its autoregressive order and the context h unmasked in every hidden layer and in the outputs
(so the first latent in the ordering depends on h too), so q stays a
distrax bijector over the base Gaussian. The steps are one `nn.scan` (compile time flat in T).

log q is kept per latent (the log-det of a triangular Jacobian is a sum over elements, and a
reversal moves an element's terms with it), so the KL estimate log q(z) - log p(z) splits
into groups of latents for free bits. `posterior='linear'` is the paper's linear IAF step
(s.3): z = L(x) z_0 with L(x) unit lower triangular from the encoder, a full-covariance
Gaussian posterior.

Encoders and decoders: 'mlp' (two ELU layers of 500 units each way, for speed on CPU) and
'resnet' (the paper's MNIST model at our scale: strided 3x3 convolutions with ResNet blocks,
28 -> 14 -> 7, mirrored by transposed convolutions in the decoder; appendix C).
"""
from __future__ import annotations

import math
from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgen import bijectors as bj
from jaxgen.nn import masked
from jaxgen.nn.outputs import Bernoulli

POSTERIORS = ('diagonal', 'iaf', 'linear')
ARCHITECTURES = ('mlp', 'resnet')
LOG_2PI = math.log(2.0 * math.pi)


def standard_normal_log_prob(z: jax.Array) -> jax.Array:
  """log N(z_i; 0, 1) per element."""
  return -0.5 * (z * z + LOG_2PI)


class IAFStep(nn.Module):
  """One IAF step z -> (z', log sigma [..., D]) with the context h (eq. 14)."""
  dim: int
  hidden_sizes: Sequence[int] = (320, 320)
  gate_bias: float = 2.0
  use_context: bool = True

  @nn.compact
  def __call__(self, z: jax.Array, h: jax.Array):
    transformer = bj.Gated(self.gate_bias)
    masks = masked.natural_made_masks(self.dim, tuple(self.hidden_sizes), transformer.num_params)
    made = masked.MADE(tuple(self.hidden_sizes), num_outputs_per_dim=transformer.num_params,
                       activation=nn.elu, output_kernel_init=nn.initializers.zeros_init(),
                       context_to_output=True, name='made')
    if self.use_context:
      flow = bj.IAF(lambda u, c: made(u, masks, c), transformer, context=h)
    else:
      flow = bj.IAF(lambda u: made(u, masks), transformer)
    return flow.forward_and_elementwise_log_det(z)


class IAFPosterior(nn.Module):
  """T scanned IAF steps, the ordering reversed between steps: (z_0, log q_0) -> (z_T, log q_T),
  log q per element [..., D]."""
  dim: int
  depth: int = 2
  hidden_sizes: Sequence[int] = (320, 320)
  gate_bias: float = 2.0
  use_context: bool = True
  scan: bool = True

  @nn.compact
  def __call__(self, z: jax.Array, log_q: jax.Array, h: jax.Array):
    def body(step, carry, _):
      z, log_q = carry
      z, log_sigma = step(z, h)
      return (z[..., ::-1], (log_q - log_sigma)[..., ::-1]), None

    make = lambda name: IAFStep(self.dim, tuple(self.hidden_sizes), self.gate_bias,
                                self.use_context, name=name)
    if self.scan:
      scanned = nn.scan(body, variable_axes={'params': 0}, split_rngs={'params': True},
                        length=self.depth)
      (z, log_q), _ = scanned(make('steps'), (z, log_q), None)
    else:                           # T separately traced steps: the benchmark's baseline
      for t in range(self.depth):
        (z, log_q), _ = body(make(f'step_{t}'), (z, log_q), None)
    if self.depth % 2:              # reversed between steps, not after the last one
      z, log_q = z[..., ::-1], log_q[..., ::-1]
    return z, log_q


class ResBlock(nn.Module):
  """x + conv(elu(conv(elu(x)))), 3x3, same width (He et al. 2016, pre-activation)."""
  channels: int

  @nn.compact
  def __call__(self, x):
    y = nn.Conv(self.channels, (3, 3))(nn.elu(x))
    y = nn.Conv(self.channels, (3, 3), kernel_init=nn.initializers.zeros_init())(nn.elu(y))
    return x + y


class Encoder(nn.Module):
  """x [B, H, W, C] in {0, 1} -> features [B, F]."""
  architecture: str = 'mlp'
  hidden: int = 500
  channels: int = 64

  @nn.compact
  def __call__(self, x):
    if self.architecture == 'mlp':
      h = x.reshape(x.shape[0], -1)
      for i in range(2):
        h = nn.elu(nn.Dense(self.hidden, name=f'dense_{i}')(h))
      return h
    h = nn.Conv(self.channels, (3, 3), strides=2)(2.0 * x - 1.0)        # 28 -> 14
    h = ResBlock(self.channels)(h)
    h = nn.Conv(self.channels, (3, 3), strides=2)(nn.elu(h))             # 14 -> 7
    h = ResBlock(self.channels)(h)
    return nn.elu(nn.Dense(self.hidden)(nn.elu(h).reshape(h.shape[0], -1)))


class Decoder(nn.Module):
  """z [..., D] -> Bernoulli logits [..., H, W, C]."""
  shape: Sequence[int]
  architecture: str = 'mlp'
  hidden: int = 500
  channels: int = 64

  @nn.compact
  def __call__(self, z):
    out = math.prod(self.shape)
    if self.architecture == 'mlp':
      h = z
      for i in range(2):
        h = nn.elu(nn.Dense(self.hidden, name=f'dense_{i}')(h))
      return nn.Dense(out, name='logits')(h).reshape(z.shape[:-1] + tuple(self.shape))
    height, width, chans = self.shape
    if height % 4 or width % 4:
      raise ValueError(f"The 'resnet' VAE needs image sides divisible by 4; got "
                       f'{tuple(self.shape)}.')
    lead = z.shape[:-1]
    h = nn.elu(nn.Dense(self.hidden)(z))
    h = nn.Dense(height // 4 * width // 4 * self.channels)(h)
    h = h.reshape((-1, height // 4, width // 4, self.channels))
    h = ResBlock(self.channels)(h)
    h = nn.ConvTranspose(self.channels, (3, 3), strides=(2, 2))(nn.elu(h))   # 7 -> 14
    h = ResBlock(self.channels)(h)
    h = nn.ConvTranspose(self.channels, (3, 3), strides=(2, 2))(nn.elu(h))   # 14 -> 28
    h = nn.Conv(chans, (3, 3), name='logits')(nn.elu(h))
    return h.reshape(lead + tuple(self.shape))


class VAE(nn.Module):
  """A VAE with a diagonal, linear-IAF or IAF posterior (see the module docstring).

  Attributes:
    shape: the image shape (H, W, C).
    latent_dim: D, the latents of the one stochastic layer (the paper's MNIST model: 32).
    posterior: 'diagonal', 'iaf' or 'linear'.
    depth: T, the IAF steps.
    made_hidden: the hidden widths of each step's MADE (paper: two layers of 320).
    context_dim: the size of the context h (0: IAF without context, an ablation).
    gate_bias: sigma_t = sigmoid(s_t + gate_bias) (s_t = 0 at initialisation).
    scan: the T steps as one `nn.scan` (compile time flat in T) or unrolled.
    architecture: 'mlp' or 'resnet'; hidden and channels their sizes.
    encoder_hidden: the encoder's width where it differs from the decoder's (0: `hidden`);
      the parameter-matched diagonal baseline widens it to the IAF model's size.
  """
  shape: Sequence[int] = (28, 28, 1)
  latent_dim: int = 32
  posterior: str = 'iaf'
  depth: int = 2
  made_hidden: Sequence[int] = (320, 320)
  context_dim: int = 64
  gate_bias: float = 2.0
  scan: bool = True
  architecture: str = 'mlp'
  hidden: int = 500
  channels: int = 64
  encoder_hidden: int = 0

  def setup(self):
    if self.posterior not in POSTERIORS:
      raise ValueError(f'Unknown posterior {self.posterior!r}; valid: {POSTERIORS}.')
    if self.architecture not in ARCHITECTURES:
      raise ValueError(f'Unknown architecture {self.architecture!r}; valid: {ARCHITECTURES}.')
    d = self.latent_dim
    self.encoder = Encoder(self.architecture, self.encoder_hidden or self.hidden, self.channels)
    self.decoder = Decoder(tuple(self.shape), self.architecture, self.hidden, self.channels)
    extra = {'diagonal': 0, 'iaf': self.context_dim, 'linear': d * (d - 1) // 2}
    # mu_0 and log sigma_0 start near the prior: small weights on the last layer.
    self.head = nn.Dense(2 * d + extra[self.posterior],
                         kernel_init=nn.initializers.variance_scaling(0.1, 'fan_in', 'normal'),
                         name='posterior_head')
    if self.posterior == 'iaf':
      self.flow = IAFPosterior(d, self.depth, tuple(self.made_hidden), self.gate_bias,
                               self.context_dim > 0, self.scan)

  def encode(self, x: jax.Array):
    """x [B, H, W, C] -> (mu_0 [B, D], log sigma_0 [B, D], rest [B, E])."""
    out = self.head(self.encoder(x))
    d = self.latent_dim
    return out[..., :d], out[..., d:2 * d], out[..., 2 * d:]

  def posterior_sample(self, x: jax.Array, eps: jax.Array):
    """z ~ q(z | x) from base noise eps [S, B, D] (or [B, D]): (z, log q(z | x) per element)."""
    mu, log_sigma, rest = self.encode(x)
    z = mu + jnp.exp(log_sigma) * eps
    log_q = standard_normal_log_prob(eps) - log_sigma
    if self.posterior == 'iaf':
      flat = lambda a: a.reshape((-1, a.shape[-1]))
      h = None                                   # context_dim = 0: IAF without a context
      if self.context_dim > 0:
        h = flat(jnp.broadcast_to(rest, z.shape[:-1] + rest.shape[-1:]))
      zf, lqf = self.flow(flat(z), flat(log_q), h)
      z, log_q = zf.reshape(z.shape), lqf.reshape(log_q.shape)
    elif self.posterior == 'linear':
      z = linear_iaf(z, lower_triangular(rest, self.latent_dim))   # log-det 0: unit diagonal
    return z, log_q

  def decode(self, z: jax.Array) -> jax.Array:
    return self.decoder(z)

  def log_likelihood(self, x: jax.Array, z: jax.Array) -> jax.Array:
    """log p(x | z): binary images x [B, H, W, C], latents z [..., B, D] -> [..., B]."""
    flat = lambda a: a.reshape(a.shape[:-3] + (-1,))     # Bernoulli squeezes a last axis of 1
    return jnp.sum(Bernoulli().log_prob(flat(self.decode(z)), flat(x)), axis=-1)

  def __call__(self, x: jax.Array, eps: jax.Array):
    """Per example, for base noise eps [..., B, D]: (log p(x | z) [..., B],
    log q(z | x) - log p(z) per latent [..., B, D], z)."""
    z, log_q = self.posterior_sample(x, eps)
    return self.log_likelihood(x, z), log_q - standard_normal_log_prob(z), z


def lower_triangular(entries: jax.Array, dim: int) -> jax.Array:
  """Unit lower-triangular [..., D, D] from the D (D - 1) / 2 strictly-lower entries."""
  rows, cols = jnp.tril_indices(dim, -1)
  eye = jnp.eye(dim, dtype=entries.dtype)
  out = jnp.broadcast_to(eye, entries.shape[:-1] + (dim, dim))
  return out.at[..., rows, cols].set(entries)


def linear_iaf(z: jax.Array, lower: jax.Array) -> jax.Array:
  """z' = L z for each example: z [..., B, D], L [B, D, D] unit lower triangular."""
  return jnp.einsum('bij,...bj->...bi', lower, z)


def free_bits_kl(kl: jax.Array, groups: int, lam: float) -> jax.Array:
  """The free-bits KL objective (Kingma et al. 2016): the KL of each of `groups` equal groups
  of latents, averaged over the minibatch, floored at `lam` nats, summed over groups.

  kl: [B, D] per-latent estimates log q - log p. lam = 0 is the plain KL.
  """
  b, d = kl.shape
  if d % groups:
    raise ValueError(f'free_bits_groups={groups} must divide the latent dimension {d}.')
  per_group = jnp.mean(jnp.sum(kl.reshape(b, groups, d // groups), -1), 0)
  return jnp.sum(jnp.maximum(per_group, lam))


def importance_weighted(log_weights: jax.Array) -> jax.Array:
  """log (1/K sum_k w_k) from log w [K, B] -> [B] (Burda et al. 2016, eq. 8)."""
  return jax.nn.logsumexp(log_weights, axis=0) - jnp.log(log_weights.shape[0])
