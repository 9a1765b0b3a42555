"""SAGAN (Zhang, Goodfellow, Metaxas & Odena 2018, "Self-Attention Generative Adversarial
Networks").

The paper's networks (section 5, appendix), scaled to small images:
  * residual blocks: G's up-sample (BN, ReLU, nearest 2x, conv3x3, BN, ReLU, conv3x3; shortcut
    up-sample + conv1x1), D's down-sample (ReLU, conv3x3, ReLU, conv3x3, avg-pool 2x; shortcut
    conv1x1 + avg-pool), D's first block without the leading ReLU (Miyato et al. 2018's
    "optimized" block), D's head ReLU, global sum pooling and a linear logit;
  * the self-attention block (`jaxgen.models.gan.attention`) on the feature maps of side
    `attention_resolution` in both G and D (the paper's best: the larger maps);
  * spectral normalisation on every convolution and linear layer of G and of D (section 4.1);
  * class conditioning, when `num_classes > 0`: conditional batch norm in G (gains and biases
    embedded from the label) and a projection discriminator (Miyato & Koyama 2018): the logit
    adds <embed(y), phi(x)>.

Trained with the hinge loss (eq. 3) and the two time-scale update rule (section 4.2: learning
rates 1e-4 for G and 4e-4 for D, Adam beta1 = 0, beta2 = 0.9); see `experiments/sagan_*.py`.
"""
from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgen.models.gan.dcgan import num_doublings
from jaxgen.models.gan.attention import UnscaledSelfAttention2D
from jaxgen.nn.spectral import maybe_spectral_norm

INIT = nn.initializers.xavier_uniform()  # the authors' code: orthogonal / glorot, not N(0, .02)


class SNConv(nn.Module):
  """A convolution (kernel k x k, stride 1, SAME) through `nn.SpectralNorm` when enabled."""
  features: int
  kernel: int = 3
  spectral_norm: bool = True

  @nn.compact
  def __call__(self, x, update_stats: bool):
    conv = nn.Conv(self.features, (self.kernel, self.kernel), kernel_init=INIT, name='conv')
    return maybe_spectral_norm(conv, x, spectral_norm=self.spectral_norm,
                               update_stats=update_stats)


class ConditionalBatchNorm(nn.Module):
  """Batch norm whose gain and bias come from the class (de Vries et al. 2017; SAGAN's G).

  x: [batch, h, w, c]; y: int [batch] or None (plain batch norm with learned gain and bias).
  """
  num_classes: int = 0

  @nn.compact
  def __call__(self, x, y, train: bool):
    c = x.shape[-1]
    conditional = self.num_classes > 0
    x = nn.BatchNorm(use_running_average=not train, momentum=0.9, epsilon=1e-5,
                     use_scale=not conditional, use_bias=not conditional)(x)
    if not conditional:
      return x
    if y is None:
      raise ValueError(f'This generator is class-conditional ({self.num_classes} classes): '
                       'pass labels y [batch].')
    gain = nn.Embed(self.num_classes, c, embedding_init=nn.initializers.zeros, name='gain')(y)
    bias = nn.Embed(self.num_classes, c, embedding_init=nn.initializers.zeros, name='bias')(y)
    return x * (1.0 + gain[:, None, None, :]) + bias[:, None, None, :]


def _upsample(x):
  return jnp.repeat(jnp.repeat(x, 2, axis=1), 2, axis=2)


def _avg_pool(x):
  return nn.avg_pool(x, (2, 2), (2, 2))


class GBlock(nn.Module):
  """G's residual up-sampling block: [b, h, w, c_in] -> [b, 2h, 2w, features]."""
  features: int
  num_classes: int = 0
  spectral_norm: bool = True

  @nn.compact
  def __call__(self, x, y, train: bool):
    sn = dict(spectral_norm=self.spectral_norm)
    h = nn.relu(ConditionalBatchNorm(self.num_classes)(x, y, train))
    h = SNConv(self.features, 3, **sn)(_upsample(h), train)
    h = nn.relu(ConditionalBatchNorm(self.num_classes)(h, y, train))
    h = SNConv(self.features, 3, **sn)(h, train)
    return h + SNConv(self.features, 1, name='shortcut', **sn)(_upsample(x), train)


class DBlock(nn.Module):
  """D's residual block: [b, h, w, c_in] -> [b, h/2, w/2, features] (or same size).

  `optimized` is the first block (no ReLU before its first convolution; shortcut pools first).
  """
  features: int
  downsample: bool = True
  optimized: bool = False
  spectral_norm: bool = True

  @nn.compact
  def __call__(self, x, update_stats: bool):
    sn = dict(spectral_norm=self.spectral_norm)
    pool = _avg_pool if self.downsample else (lambda t: t)
    h = x if self.optimized else nn.relu(x)
    h = SNConv(self.features, 3, **sn)(h, update_stats)
    h = SNConv(self.features, 3, **sn)(nn.relu(h), update_stats)
    h = pool(h)
    if self.optimized:
      s = SNConv(self.features, 1, name='shortcut', **sn)(pool(x), update_stats)
    elif self.downsample or x.shape[-1] != self.features:
      s = pool(SNConv(self.features, 1, name='shortcut', **sn)(x, update_stats))
    else:
      s = x
    return h + s


class Generator(nn.Module):
  """SAGAN generator: z [batch, latent] (and labels [batch]) -> images [b, h, w, c] in (-1, 1).

  Attributes:
    image_shape: (h, w, c); the first map has side h / 2**num_doublings(h) (7 for 28).
    base_features: channels of the last block; earlier blocks double it.
    attention_resolution: the side of the maps the self-attention block follows (0: none).
    num_classes: > 0 for conditional batch norm.
    spectral_norm: on every convolution and linear layer.
  """
  image_shape: tuple[int, int, int] = (28, 28, 1)
  base_features: int = 32
  attention_resolution: int = 14
  num_classes: int = 0
  spectral_norm: bool = True

  @nn.compact
  def __call__(self, z: jax.Array, y=None, train: bool = True) -> jax.Array:
    h, w, c = self.image_shape
    n = num_doublings(h)
    s0 = h // 2**n
    feats = self.base_features * 2**n
    x = maybe_spectral_norm(nn.Dense(s0 * (w // 2**n) * feats, kernel_init=INIT, name='project'),
                            z, spectral_norm=self.spectral_norm, update_stats=train)
    x = x.reshape(z.shape[0], s0, w // 2**n, feats)
    for i in range(n):
      x = GBlock(self.base_features * 2**(n - 1 - i), self.num_classes,
                 self.spectral_norm)(x, y, train)
      if x.shape[1] == self.attention_resolution:
        x = UnscaledSelfAttention2D(spectral_norm=self.spectral_norm, name='attention')(x, train)
    x = nn.relu(nn.BatchNorm(use_running_average=not train, momentum=0.9, epsilon=1e-5)(x))
    x = SNConv(c, 3, spectral_norm=self.spectral_norm, name='to_image')(x, train)
    return jnp.tanh(x)


class Discriminator(nn.Module):
  """SAGAN discriminator: images [b, h, w, c] in [-1, 1] (and labels [b]) -> logits [b].

  Attributes:
    base_features: channels of the first block; each down-sampling block doubles them, and a
      last block at the smallest resolution doubles them once more without down-sampling.
    attention_resolution: the side of the maps the self-attention block follows (0: none).
    num_classes: > 0 for the projection discriminator.
    spectral_norm: on every convolution and linear layer.
  """
  base_features: int = 32
  attention_resolution: int = 14
  num_classes: int = 0
  spectral_norm: bool = True

  @nn.compact
  def __call__(self, x: jax.Array, y=None, train: bool = True) -> jax.Array:
    n = num_doublings(x.shape[1])
    sn = dict(spectral_norm=self.spectral_norm)
    for i in range(n):
      x = DBlock(self.base_features * 2**i, optimized=(i == 0), **sn)(x, train)
      if x.shape[1] == self.attention_resolution:
        x = UnscaledSelfAttention2D(name='attention', **sn)(x, train)
    x = DBlock(self.base_features * 2**n, downsample=False, **sn)(x, train)
    phi = jnp.sum(nn.relu(x), axis=(1, 2))   # global sum pooling, [b, features]
    logit = maybe_spectral_norm(nn.Dense(1, kernel_init=INIT, name='logit'), phi,
                                update_stats=train, **sn)[:, 0]
    if self.num_classes > 0:
      if y is None:
        raise ValueError(f'This discriminator is class-conditional ({self.num_classes} '
                         'classes): pass labels y [batch].')
      embed = nn.Embed(self.num_classes, phi.shape[-1], embedding_init=INIT, name='embed')
      # The projection term <embed(y), phi>, with the embedding matrix spectrally normalised.
      proj = maybe_spectral_norm(embed, y, update_stats=train, **sn)
      logit = logit + jnp.sum(proj * phi, axis=-1)
    return logit
