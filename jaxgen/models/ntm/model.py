"""The Neural Turing Machine (Graves, Wayne & Danihelka 2014): addressing, memory and the cell.

Addressing, as the paper's section 3.3 (each function takes any leading batch dimensions):

  content_weights  eq. 5-6: w^c(i) = softmax_i(beta K(k, M(i))), K the cosine similarity.
  interpolate      eq. 7: w^g = g w^c + (1 - g) w_{t-1}.
  circular_shift   eq. 8: w~(i) = sum_j w^g(j) s(i - j), indices mod N: a real (circular)
                   convolution, so all of s on the offset +1 moves the weight at k to k + 1.
                   Several public implementations compute a cross-correlation instead, which
                   shifts the other way.
  sharpen          eq. 9: w(i) = w~(i)^gamma / sum_j w~(j)^gamma, gamma >= 1.
  read             eq. 2: r = sum_i w(i) M(i).
  write            eq. 3-4: every head's erase first, M~(i) = M(i) prod_h (1 - w_h(i) e_h),
                   then every head's add, M(i) = M~(i) + sum_h w_h(i) a_h (the products
                   commute, so the heads' order does not matter; interleaving erase and add per
                   head would erase what an earlier head added).

Stability (no library has these; written here because the cell needs them): the cosine
divides by sqrt(|u|^2 + eps) sqrt(|v|^2 + eps), so an all-zero memory row has similarity 0
and finite gradients (|u| itself has an infinite gradient at 0); sharpening raises
w~ + eps, since d(0^gamma)/d gamma is 0 log 0; memory starts at a small constant (1e-6),
which Collier & Beel (2018) found to converge far faster than learned or random memory.

`NTMCell` is an `nn.RNNCellBase`, so `nn.RNN(NTMCell(...))` scans it over time. Each step:
the controller (flax's `nn.LSTMCell`, or a feed-forward `nn.Dense` + tanh layer) reads the
input and the previous step's read vectors; one `nn.Dense` per head emits that head's key,
beta = softplus, g = sigmoid, s = softmax over the offsets -shift_range..shift_range and
gamma = 1 + softplus, and each write head also an erase vector (sigmoid) and an add vector
(tanh). The write heads address and update the memory first, then the read heads address and
read the updated memory (the paper's r_t reads M_t, eq. 2); the cell's output is the
controller's output concatenated with the new reads (a model puts its own output layer on
it). Every head's weighting starts on location 0, so location-based addressing has a place to
start from on the constant initial memory (where content addressing is uniform).
"""
from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

Array = jax.Array
CONTROLLERS = ('lstm', 'feedforward')
MEMORY_INIT = 1e-6


def cosine_similarity(memory: Array, key: Array, eps: float = 1e-8) -> Array:
  """K(k, M(i)) for memory [..., N, M] and key [..., M]: [..., N]."""
  dot = jnp.einsum('...nm,...m->...n', memory, key)
  norm_m = jnp.sqrt(jnp.sum(memory * memory, -1) + eps)
  norm_k = jnp.sqrt(jnp.sum(key * key, -1, keepdims=True) + eps)
  return dot / (norm_m * norm_k)


def content_weights(memory: Array, key: Array, beta: Array, eps: float = 1e-8) -> Array:
  """Eq. 5-6: softmax over locations of beta K(k, M(i)); beta [...] or [..., 1]."""
  beta = jnp.reshape(beta, jnp.shape(beta)[:key.ndim - 1] + (1,))
  return jax.nn.softmax(beta * cosine_similarity(memory, key, eps), axis=-1)


def interpolate(w_content: Array, w_prev: Array, gate: Array) -> Array:
  """Eq. 7: g w^c + (1 - g) w_{t-1}; gate [...] or [..., 1] in [0, 1]."""
  gate = jnp.reshape(gate, jnp.shape(gate)[:w_content.ndim - 1] + (1,))
  return gate * w_content + (1.0 - gate) * w_prev


def circular_shift(w: Array, shift: Array) -> Array:
  """Eq. 8: w~(i) = sum_o s(o) w(i - o mod N) for w [..., N] and shift [..., 2r + 1], the
  weights of the offsets -r..r (so shift[..., r] is 'stay')."""
  width = shift.shape[-1]
  if width % 2 != 1 or width > w.shape[-1]:
    raise ValueError(f'the shift weighting needs an odd number of offsets, at most the '
                     f'{w.shape[-1]} memory locations; got {width}.')
  r = width // 2
  return sum(shift[..., o + r, None] * jnp.roll(w, o, axis=-1) for o in range(-r, r + 1))


def sharpen(w: Array, gamma: Array, eps: float = 1e-8) -> Array:
  """Eq. 9: (w + eps)^gamma normalised over locations; gamma [...] or [..., 1], >= 1."""
  gamma = jnp.reshape(gamma, jnp.shape(gamma)[:w.ndim - 1] + (1,))
  p = jnp.power(w + eps, gamma)
  return p / jnp.sum(p, axis=-1, keepdims=True)


def address(memory: Array, w_prev: Array, key: Array, beta: Array, gate: Array,
            shift: Array, gamma: Array, eps: float = 1e-8) -> Array:
  """The whole of figure 2: content, interpolation, shift, sharpening."""
  w = content_weights(memory, key, beta, eps)
  return sharpen(circular_shift(interpolate(w, w_prev, gate), shift), gamma, eps)


def read(memory: Array, w: Array) -> Array:
  """Eq. 2: sum_i w(i) M(i) for memory [..., N, M] and w [..., N]: [..., M] (the leading
  dimensions broadcast: memory [..., 1, N, M] with w [..., R, N] reads R heads)."""
  return jnp.einsum('...n,...nm->...m', w, memory)


def write(memory: Array, weights: Array, erase: Array, add: Array) -> Array:
  """Eq. 3-4 for H write heads: weights [..., H, N], erase and add [..., H, M]; all the heads'
  erases, then all their adds."""
  keep = jnp.prod(1.0 - weights[..., :, :, None] * erase[..., :, None, :], axis=-3)
  return memory * keep + jnp.einsum('...hn,...hm->...nm', weights, add)


class NTMCell(nn.RNNCellBase):
  """One step of a Neural Turing Machine (see the module docstring).

  Carry: a dict with 'controller' (the LSTM's (c, h), or () for the feed-forward one),
  'memory' [..., N, M], 'read_weights' [..., R, N], 'write_weights' [..., W, N] and
  'reads' [..., R, M]. Output: [..., controller_features + R M].

  Attributes:
    memory_size: N, the number of locations.
    memory_width: M, the size of each location's vector.
    controller_features: the controller's hidden size.
    controller: 'lstm' or 'feedforward'.
    num_read_heads, num_write_heads: R and W.
    shift_range: r, the largest shift per step (offsets -r..r; the paper uses 1).
    eps: the cosine's and the sharpening's epsilon.
  """
  memory_size: int = 128
  memory_width: int = 20
  controller_features: int = 100
  controller: str = 'lstm'
  num_read_heads: int = 1
  num_write_heads: int = 1
  shift_range: int = 1
  eps: float = 1e-8
  param_dtype: Any = jnp.float32

  def _check(self):
    if self.controller not in CONTROLLERS:
      raise ValueError(f'Unknown controller {self.controller!r}; valid: {CONTROLLERS}.')
    if min(self.memory_size, self.memory_width, self.controller_features,
           self.num_read_heads, self.num_write_heads) < 1 or self.shift_range < 0:
      raise ValueError('memory_size, memory_width, controller_features and the head counts '
                       'must be >= 1 and shift_range >= 0.')
    if 2 * self.shift_range + 1 > self.memory_size:
      raise ValueError(f'shift_range {self.shift_range} needs at least '
                       f'{2 * self.shift_range + 1} memory locations, got {self.memory_size}.')

  def _head(self, h, name: str, extra: int):
    """Dense from the controller output to one head's parameters, activated."""
    m, shifts = self.memory_width, 2 * self.shift_range + 1
    out = nn.Dense(m + 3 + shifts + extra, param_dtype=self.param_dtype, name=name)(h)
    key, beta, gate, gamma, shift, rest = jnp.split(
        out, [m, m + 1, m + 2, m + 3, m + 3 + shifts], axis=-1)
    return (key, jax.nn.softplus(beta), jax.nn.sigmoid(gate), jax.nn.softmax(shift, -1),
            1.0 + jax.nn.softplus(gamma), rest)

  @nn.compact
  def __call__(self, carry, inputs):
    self._check()
    x = jnp.concatenate([inputs, jnp.reshape(carry['reads'], carry['reads'].shape[:-2] + (-1,))],
                        axis=-1)
    if self.controller == 'lstm':
      state, h = nn.LSTMCell(self.controller_features, param_dtype=self.param_dtype,
                             name='controller')(carry['controller'], x)
    else:
      state = ()
      h = jnp.tanh(nn.Dense(self.controller_features, param_dtype=self.param_dtype,
                            name='controller')(x))
    memory, m = carry['memory'], self.memory_width
    write_w, erases, adds = [], [], []
    for i in range(self.num_write_heads):
      key, beta, gate, shift, gamma, rest = self._head(h, f'write_{i}', 2 * m)
      write_w.append(address(memory, carry['write_weights'][..., i, :], key, beta, gate,
                             shift, gamma, self.eps))
      erases.append(jax.nn.sigmoid(rest[..., :m]))
      adds.append(jnp.tanh(rest[..., m:]))
    write_w = jnp.stack(write_w, -2)
    memory = write(memory, write_w, jnp.stack(erases, -2), jnp.stack(adds, -2))
    read_w = []
    for i in range(self.num_read_heads):
      key, beta, gate, shift, gamma, _ = self._head(h, f'read_{i}', 0)
      read_w.append(address(memory, carry['read_weights'][..., i, :], key, beta, gate,
                            shift, gamma, self.eps))
    read_w = jnp.stack(read_w, -2)
    reads = read(memory[..., None, :, :], read_w)
    new_carry = {'controller': state, 'memory': memory, 'read_weights': read_w,
                 'write_weights': write_w, 'reads': reads}
    out = jnp.concatenate([h, jnp.reshape(reads, reads.shape[:-2] + (-1,))], axis=-1)
    return new_carry, out

  @nn.nowrap
  def initialize_carry(self, rng, input_shape):
    """The constant memory, every weighting on location 0, zero reads."""
    self._check()
    batch = tuple(input_shape[:-1])
    n, m, dt = self.memory_size, self.memory_width, self.param_dtype
    one_hot = jax.nn.one_hot(0, n, dtype=dt)
    state = (nn.LSTMCell(self.controller_features, param_dtype=dt, parent=None)
             .initialize_carry(rng, batch + (1,)) if self.controller == 'lstm' else ())
    return {'controller': state,
            'memory': jnp.full(batch + (n, m), MEMORY_INIT, dt),
            'read_weights': jnp.broadcast_to(one_hot, batch + (self.num_read_heads, n)),
            'write_weights': jnp.broadcast_to(one_hot, batch + (self.num_write_heads, n)),
            'reads': jnp.zeros(batch + (self.num_read_heads, m), dt)}

  @property
  def num_feature_axes(self) -> int:
    return 1


class NTM(nn.Module):
  """An NTM over sequences: `nn.RNN(NTMCell)` then a linear output layer (logits).

  inputs [batch, time, features] -> logits [batch, time, out_features]; with
  `return_weights`, also the read and write weightings [batch, time, heads, N] of every step
  (the paper's figure 6), which the cell's carry holds and `nn.RNN` would otherwise drop.
  """
  out_features: int
  memory_size: int = 128
  memory_width: int = 20
  controller_features: int = 100
  controller: str = 'lstm'
  num_read_heads: int = 1
  num_write_heads: int = 1
  shift_range: int = 1

  @nn.compact
  def __call__(self, inputs, return_weights: bool = False):
    cell = NTMCell(self.memory_size, self.memory_width, self.controller_features,
                   self.controller, self.num_read_heads, self.num_write_heads,
                   self.shift_range, name='cell')
    carry = cell.initialize_carry(jax.random.key(0), inputs[:, 0].shape)   # deterministic

    def step(cell, carry, x):
      carry, y = cell(carry, x)
      return carry, (y, carry['read_weights'], carry['write_weights'])

    scan = nn.scan(step, variable_broadcast='params', split_rngs={'params': False},
                   in_axes=1, out_axes=1)
    _, (h, read_w, write_w) = scan(cell, carry, inputs)
    logits = nn.Dense(self.out_features, name='output')(h)
    return (logits, read_w, write_w) if return_weights else logits


class LSTMBaseline(nn.Module):
  """The paper's baseline: `num_layers` stacked LSTMs (flax's `nn.LSTMCell` under `nn.RNN`)
  and a linear output layer: inputs [batch, time, features] -> logits [batch, time, out]."""
  out_features: int
  hidden_size: int = 256
  num_layers: int = 3

  @nn.compact
  def __call__(self, inputs, return_weights: bool = False):
    del return_weights
    h = inputs
    for i in range(self.num_layers):
      h = nn.RNN(nn.LSTMCell(self.hidden_size), name=f'lstm_{i}')(h)
    return nn.Dense(self.out_features, name='output')(h)
