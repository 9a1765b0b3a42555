"""DCGAN (Radford, Metz & Chintala 2016, "Unsupervised Representation Learning with Deep
Convolutional Generative Adversarial Networks").

The architecture guidelines of section 3 and the details of section 4:
  * no pooling: strided convolutions in D, fractionally-strided (transposed) ones in G;
  * batch norm in both networks, except on G's output layer and D's input layer;
  * no fully connected hidden layers: G's first layer is a projection of z reshaped to a
    [h0, w0, 8 * base] map, D's last is a flattened map to one logit;
  * ReLU in G with Tanh at the output; LeakyReLU (slope 0.2) in D;
  * weights from N(0, 0.02); Adam with learning rate 2e-4 and beta1 = 0.5; batch 128.

The paper's 64x64 networks use four 2x up/down-samplings from a 4x4 map; the same rules at
28x28 give two, from 7x7 (`num_doublings`).
"""
from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

INIT = nn.initializers.normal(0.02)   # "zero-centered Normal distribution with std 0.02"


def num_doublings(size: int, min_size: int = 4) -> int:
  """How many 2x up-samplings reach `size` from the smallest map of side >= `min_size`."""
  n = 0
  while size % 2 == 0 and size // 2 >= min_size:
    size //= 2
    n += 1
  if n == 0:
    raise ValueError(f'Image side {size} cannot be reached by 2x up-sampling from a map of '
                     f'side >= {min_size}.')
  return n


def _batch_norm(train: bool, name=None):
  return nn.BatchNorm(use_running_average=not train, momentum=0.9, epsilon=1e-5, name=name)


class Generator(nn.Module):
  """DCGAN generator: z [batch, latent] -> images [batch, h, w, c] in (-1, 1).

  Attributes:
    image_shape: (h, w, c) of the output.
    base_features: channels of the last hidden map (the paper's 64x64 G: 128 -> 1024 at 4x4).
    kernel_size: of the transposed convolutions (5 in the paper's code).
  """
  image_shape: tuple[int, int, int] = (28, 28, 1)
  base_features: int = 64
  kernel_size: int = 5

  @nn.compact
  def __call__(self, z: jax.Array, y=None, train: bool = True) -> jax.Array:
    del y  # unconditional
    h, w, c = self.image_shape
    n = num_doublings(h)
    if w != h:
      raise ValueError(f'DCGAN makes square images; got {self.image_shape}.')
    k = (self.kernel_size, self.kernel_size)
    feats = self.base_features * 2 ** (n - 1)
    x = nn.Dense(h // 2**n * w // 2**n * feats, use_bias=False, kernel_init=INIT,
                 name='project')(z)
    x = nn.relu(_batch_norm(train)(x.reshape(z.shape[0], h // 2**n, w // 2**n, feats)))
    for i in range(n - 1):
      x = nn.ConvTranspose(self.base_features * 2 ** (n - 2 - i), k, strides=(2, 2),
                           padding='SAME', use_bias=False, kernel_init=INIT)(x)
      x = nn.relu(_batch_norm(train)(x))
    x = nn.ConvTranspose(c, k, strides=(2, 2), padding='SAME', kernel_init=INIT,
                         name='to_image')(x)
    return jnp.tanh(x)


class Discriminator(nn.Module):
  """DCGAN discriminator: images [batch, h, w, c] in [-1, 1] -> logits [batch].

  Attributes:
    base_features: channels of the first convolution (doubled at every stride-2 layer).
    kernel_size: of the strided convolutions.
  """
  base_features: int = 64
  kernel_size: int = 5

  @nn.compact
  def __call__(self, x: jax.Array, y=None, train: bool = True) -> jax.Array:
    del y
    n = num_doublings(x.shape[1])
    k = (self.kernel_size, self.kernel_size)
    x = nn.Conv(self.base_features, k, strides=(2, 2), kernel_init=INIT, name='from_image')(x)
    x = nn.leaky_relu(x, 0.2)  # no batch norm on D's input layer
    for i in range(1, n):
      x = nn.Conv(self.base_features * 2**i, k, strides=(2, 2), use_bias=False,
                  kernel_init=INIT)(x)
      x = nn.leaky_relu(_batch_norm(train)(x), 0.2)
    return nn.Dense(1, kernel_init=INIT, name='logit')(x.reshape(x.shape[0], -1))[:, 0]
