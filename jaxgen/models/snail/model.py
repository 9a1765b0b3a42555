"""SNAIL (Mishra, Rohaninejad, Chen & Abbeel 2018) and its few-shot baselines.

The blocks of the paper's Appendix B, on sequences x [batch, T, features]:

  DenseBlock(R, D)      concat(x, tanh(conv_f(x)) * sigmoid(conv_g(x))): two causal
                        convolutions of kernel 2 and dilation R with D filters each
                        (`jaxgen.nn.causal_conv.CausalConv1D` with 2D filters and
                        `jaxgen.nn.gated.gated_activation`: the same two convolutions).
  TCBlock(T, D)         ceil(log2 T) dense blocks. The paper's dilations are 2^i for
                        i = 1..ceil(log2 T) (`first_dilation=2`, the default): they start at 2,
                        so a TC block alone reaches only even offsets t - 2, t - 4, ...
                        (the attention blocks between the TC blocks see every step). The common
                        public implementations start at 1 (`first_dilation=1`: dilations
                        1, 2, ..., 2^(n-1), every offset up to 2^n - 1). `tc_dilations` and
                        `reachable_offsets` give both; the tests check the Jacobians of both.
  AttentionBlock(K, V)  concat(x, causal softmax(q k^T / sqrt(K)) v): `jaxgen.nn.attention.
                        CausalAttention`, the softmax over the keys.

The few-shot network (Sec. 4.1, Appendix C.1): an embedding of every image, the 4-block
Omniglot network of Vinyals et al. (2016), {3x3 conv of 64 filters, batch norm, leaky ReLU
(0.1), 2x2 max-pool} x 4 then one dense layer to 64 features; each step's input is the
embedding concatenated with the one-hot label, the query's label fed as zeros (the model
zeroes it, whatever the data holds); then A(64, 32), TC(T, 128), A(256, 128), TC(T, 128),
A(512, 256) and a 1x1 convolution (a dense layer per step) to N logits. The loss is on the
query step only.

Baselines on the same embedding network (`ProtoNet`, Snell, Swersky & Zemel 2017): class
prototypes c_k the mean embedding of class k's support items, the query's logits
-|f(q) - c_k|^2; and pixel nearest neighbour (`nearest_neighbour`), no learning at all.
"""
from __future__ import annotations

import math

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgen.nn.attention import CausalAttention
from jaxgen.nn.causal_conv import CausalConv1D
from jaxgen.nn.gated import gated_activation


def tc_dilations(seq_len: int, first_dilation: int = 2) -> tuple[int, ...]:
  """The dilations of a TC block over `seq_len` steps: ceil(log2 T) dense blocks, doubling
  from `first_dilation` (2: the paper's 2^1..2^n; 1: the common 2^0..2^(n-1))."""
  if seq_len < 2:
    raise ValueError(f'A TC block needs a sequence of at least 2 steps, got {seq_len}.')
  if first_dilation not in (1, 2):
    raise ValueError(f'first_dilation is 2 (the paper) or 1 (common implementations), got '
                     f'{first_dilation}.')
  return tuple(first_dilation * 2**i for i in range(math.ceil(math.log2(seq_len))))


def reachable_offsets(dilations) -> frozenset[int]:
  """The offsets j such that a stack of kernel-2 dense blocks with these dilations makes step
  t depend on step t - j: every sum of a subset of the dilations (a dense block passes its
  input through and adds a tap d steps back)."""
  sums = {0}
  for d in dilations:
    sums |= {s + d for s in sums}
  return frozenset(sums)


class DenseBlock(nn.Module):
  """concat(x, tanh(conv_f x) * sigmoid(conv_g x)), causal kernel-2 convs of `dilation`."""
  dilation: int
  filters: int

  @nn.compact
  def __call__(self, x):
    pre = CausalConv1D(2 * self.filters, kernel_size=2, dilation=self.dilation,
                       name='conv')(x)
    return jnp.concatenate([x, gated_activation(pre)], axis=-1)


class TCBlock(nn.Module):
  """Dense blocks with dilations `tc_dilations(seq_len, first_dilation)`."""
  seq_len: int
  filters: int
  first_dilation: int = 2

  @nn.compact
  def __call__(self, x):
    for i, d in enumerate(tc_dilations(self.seq_len, self.first_dilation)):
      x = DenseBlock(d, self.filters, name=f'dense_{i}')(x)
    return x


class AttentionBlock(nn.Module):
  """concat(x, causal attention read) with keys of `key_size`, values of `value_size`."""
  key_size: int
  value_size: int

  @nn.compact
  def __call__(self, x):
    return jnp.concatenate([x, CausalAttention(self.key_size, self.value_size,
                                               name='attention')(x)], axis=-1)


class Embedding(nn.Module):
  """The 4-block Omniglot embedding: images [n, h, w, c] in [0, 1] -> [n, features].

  Attributes:
    filters: channels of every 3x3 convolution (64).
    num_blocks: conv / batch norm / leaky ReLU / max-pool blocks (4).
    features: the output width (a dense layer; 64).
    leak: the leaky ReLU's slope (0.1, as SNAIL's appendix; 0 is the ReLU of Vinyals et al.
      and Snell et al.).
  """
  filters: int = 64
  num_blocks: int = 4
  features: int = 64
  leak: float = 0.1

  @nn.compact
  def __call__(self, x, train: bool = False):
    for i in range(self.num_blocks):
      x = nn.Conv(self.filters, (3, 3), padding='SAME', name=f'conv_{i}')(x)
      x = nn.BatchNorm(use_running_average=not train, momentum=0.9, name=f'bn_{i}')(x)
      x = nn.leaky_relu(x, self.leak)
      x = nn.max_pool(x, (2, 2), (2, 2), padding='VALID' if min(x.shape[1:3]) >= 2 else
                      'SAME')
    return nn.Dense(self.features, name='out')(x.reshape(x.shape[0], -1))


def embed_items(embedding: nn.Module, images: jax.Array, train: bool) -> jax.Array:
  """Every item of episodes [b, T, h, w, c] (uint8 levels or floats in [0, 1]) embedded:
  [b, T, features]."""
  x = images.astype(jnp.float32)
  if images.dtype == jnp.uint8:
    x = x / 255.0
  b, t = x.shape[:2]
  return embedding(x.reshape((b * t,) + x.shape[2:]), train).reshape(b, t, -1)


def apply_blocks(x, blocks, seq_len: int, first_dilation: int):
  """The SNAIL layer list on x [b, T, C], called inside a compact module's method (the
  blocks become its submodules 'attention_i' and 'tc_i'): ('A', key, value) an
  `AttentionBlock`, ('TC', filters) a `TCBlock` over `seq_len` steps."""
  for i, block in enumerate(blocks):
    if block[0] == 'A':
      x = AttentionBlock(int(block[1]), int(block[2]), name=f'attention_{i}')(x)
    elif block[0] == 'TC':
      x = TCBlock(seq_len, int(block[1]), first_dilation, name=f'tc_{i}')(x)
    else:
      raise ValueError(f"SNAIL blocks are ('A', key_size, value_size) or ('TC', filters), "
                       f'got {block}.')
  return x


class SNAILSequence(nn.Module):
  """The sequence part of the few-shot SNAIL: (features [b, T, F], label inputs [b, T, N])
  -> logits [b, T, N]. The last step is the query: its label input is zeroed here.

  Attributes:
    ways: N, the classes of an episode (the logits' width).
    seq_len: T = N K + 1 (sizes the TC blocks).
    first_dilation: 2 (the paper) or 1 (common implementations); see `tc_dilations`.
    blocks: the layer list, ('A', key, value) or ('TC', filters) (the paper's Omniglot one).
  """
  ways: int
  seq_len: int
  first_dilation: int = 2
  blocks: tuple = (('A', 64, 32), ('TC', 128), ('A', 256, 128), ('TC', 128), ('A', 512, 256))

  @nn.compact
  def __call__(self, features, label_inputs):
    is_query = jnp.arange(features.shape[1]) == features.shape[1] - 1
    x = jnp.concatenate([features, jnp.where(is_query[None, :, None], 0.0, label_inputs)],
                        axis=-1)
    x = apply_blocks(x, self.blocks, self.seq_len, self.first_dilation)
    return nn.Dense(self.ways, name='logits')(x)


class SNAIL(nn.Module):
  """The few-shot SNAIL: episodes (images [b, T, h, w, c], labels [b, T]) -> the query's
  logits [b, N] (and, with `all_steps`, every step's [b, T, N]). See the module docstring."""
  ways: int
  shots: int
  first_dilation: int = 2
  embedding: dict | None = None
  blocks: tuple = SNAILSequence.blocks

  @nn.compact
  def __call__(self, images, labels, train: bool = False, all_steps: bool = False):
    t = self.ways * self.shots + 1
    if images.shape[1] != t:
      raise ValueError(f'A {self.ways}-way {self.shots}-shot episode has {t} items; got '
                       f'images of shape {images.shape}.')
    features = embed_items(Embedding(**(self.embedding or {}), name='embedding'), images,
                           train)
    logits = SNAILSequence(self.ways, t, self.first_dilation, self.blocks, name='sequence')(
        features, jax.nn.one_hot(labels, self.ways))
    return logits if all_steps else logits[:, -1]


class ProtoNet(nn.Module):
  """Prototypical networks on the same embedding: the query's logits -|f(q) - c_k|^2 [b, N]
  (`labels`' last entry, the query's, is never read)."""
  ways: int
  shots: int
  embedding: dict | None = None

  @nn.compact
  def __call__(self, images, labels, train: bool = False):
    f = embed_items(Embedding(**(self.embedding or {}), name='embedding'), images, train)
    support, query = f[:, :-1], f[:, -1]
    onehot = jax.nn.one_hot(labels[:, :-1], self.ways)                  # [b, NK, N]
    prototypes = jnp.einsum('bin,bif->bnf', onehot, support) / jnp.maximum(
        jnp.sum(onehot, 1)[..., None], 1.0)
    return -jnp.sum((query[:, None] - prototypes) ** 2, axis=-1)


def nearest_neighbour(images, labels) -> jax.Array:
  """Pixel nearest neighbour: each episode's query labelled as its nearest support item in
  Euclidean distance over pixels; images [b, T, ...], labels [b, T] -> predictions [b]
  (numpy or jax arrays; jittable)."""
  x = jnp.asarray(images, jnp.float32).reshape(images.shape[0], images.shape[1], -1)
  d = jnp.sum((x[:, :-1] - x[:, -1:]) ** 2, axis=-1)                 # [b, NK]
  return jnp.take_along_axis(jnp.asarray(labels)[:, :-1], jnp.argmin(d, axis=1)[:, None],
                             1)[:, 0]
