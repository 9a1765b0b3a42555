"""Attention for encoder-decoders: Bahdanau et al. (2015) and Luong et al. (2015).

  BahdanauAttention  additive attention (Bahdanau, Cho & Bengio 2015, eq. 6 and A.1.2):
                       e_ij = v_a^T tanh(W_a s_{i-1} + U_a h_j),  alpha_ij = softmax_j(e_ij),
                       c_i = sum_j alpha_ij h_j,
                     queried with the decoder's *previous* state s_{i-1}, before the new state
                     s_i = f(s_{i-1}, y_{i-1}, c_i) exists.
  LuongAttention     Luong, Pham & Manning (2015), queried with the *current* top state h_t:
                       dot       score(h_t, h_s) = h_t^T h_s
                       general   score(h_t, h_s) = h_t^T W_a h_s
                       concat    score(h_t, h_s) = v_a^T tanh(W_a [h_t; h_s])
                       location  a_t = softmax(W_a h_t)                         (eq. 8)
                     global (all source positions, eq. 7) or local (sec. 3.2) over the window
                     [p_t - D, p_t + D]:
                       local-m   p_t = t (monotonic alignment), a_t = softmax in the window;
                       local-p   p_t = S * sigmoid(v_p^T tanh(W_p h_t))          (eq. 9)
                                 a_t(s) = softmax_window(score(h_t, h_s))
                                          * exp(-(s - p_t)^2 / (2 sigma^2)),  sigma = D / 2
                                                                                 (eq. 10)
                                 with S the example's own (unpadded) source length; the
                                 Gaussian multiplies the in-window softmax and the product is
                                 *not* renormalised (the weights sum to less than 1), and it is
                                 centred on the real-valued p_t, so the gradient reaches v_p
                                 and W_p through it. (A common bug centres the Gaussian on the
                                 window's integer start or its floor instead.)
  masked_softmax     a softmax over the positions where `mask` is True (source padding,
                     positions outside a local window); all-masked rows give zeros.

Positions: source position s of array index j is s = j + 1 (1-based, as the paper counts
source words), so with p_t = S * sigmoid(.) in (0, S) the window can cover every word, and
local-m's p_t = t is the 1-based target step.

flax ships dot-product attention only (`nn.dot_product_attention`, `nn.MultiHeadDotProduct
Attention`); these scores, the previous-state query and the local windows are the papers' and
are written here.

Shapes: values h [batch, S, E] (the encoder's annotations), mask bool [batch, S] (True at
real source tokens), lengths int [batch] (= mask.sum(-1)), queries [batch, Q]. Each module
has `prepare(values)` (the query-independent part, e.g. U_a h_j, computed once per source
sentence) and `__call__(query, memory, t)` -> (context [batch, E], weights [batch, S]).
"""
from __future__ import annotations

from typing import Mapping

import flax.linen as nn
import jax
import jax.numpy as jnp

SCORES = ('dot', 'general', 'concat', 'location')
WINDOWS = ('global', 'local_m', 'local_p')
Array = jax.Array
Memory = Mapping[str, Array]


def masked_softmax(scores: Array, mask: Array) -> Array:
  """softmax over the last axis restricted to `mask` (True: kept); zeros where none is kept.

  scores: [..., S] float; mask: bool [..., S]. Masked positions get exactly 0 weight.
  """
  neg = jnp.finfo(scores.dtype).min
  masked = jnp.where(mask, scores, neg)
  top = jnp.max(masked, axis=-1, keepdims=True)
  e = jnp.where(mask, jnp.exp(masked - jax.lax.stop_gradient(top)), 0.0)
  total = jnp.sum(e, axis=-1, keepdims=True)
  return e / jnp.where(total > 0, total, 1.0)


def context(weights: Array, values: Array) -> Array:
  """c = sum_s a(s) h_s: weights [batch, S], values [batch, S, E] -> [batch, E]."""
  return jnp.einsum('bs,bse->be', weights, values)


def positions(num: int) -> Array:
  """The 1-based source positions s = 1..num as float32 [num]."""
  return jnp.arange(1, num + 1, dtype=jnp.float32)


def window_mask(p: Array, D: int, num: int) -> Array:
  """bool [batch, num]: source positions s with p_t - D <= s <= p_t + D; p: [batch]."""
  s = positions(num)[None, :]
  return jnp.abs(s - p[:, None]) <= D


def gaussian(p: Array, D: int, num: int) -> Array:
  """exp(-(s - p_t)^2 / (2 sigma^2)), sigma = D / 2 (Luong eq. 10): [batch, num]."""
  sigma = D / 2.0
  s = positions(num)[None, :]
  return jnp.exp(-jnp.square(s - p[:, None]) / (2.0 * sigma ** 2))


def local_weights(scores: Array, mask: Array, p: Array, D: int, predictive: bool) -> Array:
  """Local attention weights (Luong sec. 3.2) from scores [batch, S] at window centres p [batch].

  The softmax runs over the real source positions inside [p - D, p + D]; with `predictive`
  (local-p) it is multiplied by the Gaussian centred on p (eq. 10), without renormalising.
  """
  num = scores.shape[-1]
  in_window = jnp.logical_and(mask, window_mask(jax.lax.stop_gradient(p), D, num))
  a = masked_softmax(scores, in_window)
  if predictive:
    a = a * gaussian(p, D, num)
  return a


class BahdanauAttention(nn.Module):
  """Additive attention queried with the previous decoder state (Bahdanau 2015, eq. 6).

  Attributes:
    attention_dim: n' in the paper, the width of W_a s and U_a h (paper: 1000).
  """
  attention_dim: int = 128

  def setup(self):
    self.W_a = nn.Dense(self.attention_dim, use_bias=False, name='W_a')
    self.U_a = nn.Dense(self.attention_dim, use_bias=True, name='U_a')
    self.v_a = nn.Dense(1, use_bias=False, name='v_a')

  def prepare(self, values: Array, mask: Array) -> dict:
    """U_a h_j for every source position (independent of i: computed once): [batch, S, A]."""
    return dict(values=values, mask=mask, keys=self.U_a(values))

  def scores(self, s_prev: Array, memory: Memory) -> Array:
    """e_ij = v_a^T tanh(W_a s_{i-1} + U_a h_j): s_prev [batch, n] -> [batch, S]."""
    return self.v_a(jnp.tanh(self.W_a(s_prev)[:, None, :] + memory['keys']))[..., 0]

  def __call__(self, s_prev: Array, memory: Memory, t: Array | None = None):
    del t
    weights = masked_softmax(self.scores(s_prev, memory), memory['mask'])
    return context(weights, memory['values']), weights


class LuongAttention(nn.Module):
  """Luong (2015) global / local attention (see the module docstring).

  Attributes:
    score: 'dot', 'general', 'concat' or 'location'.
    window: 'global', 'local_m' or 'local_p'.
    D: the local window's half-width (paper: 10).
    attention_dim: the width of concat's W_a [h_t; h_s] and local-p's W_p h_t.
    query_dim: the decoder state's width H ('general' maps h_s to it once per sentence).
    max_source_length: the padded source length S ('location' scores every position).
  """
  score: str = 'general'
  window: str = 'global'
  D: int = 10
  attention_dim: int = 128
  query_dim: int = 128
  max_source_length: int = 0

  def setup(self):
    if self.score not in SCORES:
      raise ValueError(f'Unknown model.score {self.score!r}; valid: {", ".join(SCORES)}.')
    if self.window not in WINDOWS:
      raise ValueError(f'Unknown model.window {self.window!r}; valid: {", ".join(WINDOWS)}.')
    if self.window != 'global' and self.D < 1:
      raise ValueError(f'model.D must be >= 1 for local attention, got {self.D}.')
    if self.score == 'general':          # h_t^T W_a h_s, with W_a h_s computed once
      self.W_a = nn.Dense(self.query_dim, use_bias=False, name='W_a')
    elif self.score == 'concat':         # W_a [h_t; h_s] = W_a^(t) h_t + W_a^(s) h_s
      self.W_a_target = nn.Dense(self.attention_dim, use_bias=False, name='W_a_target')
      self.W_a_source = nn.Dense(self.attention_dim, use_bias=False, name='W_a_source')
      self.v_a = nn.Dense(1, use_bias=False, name='v_a')
    elif self.score == 'location':
      if self.max_source_length < 1:
        raise ValueError("score='location' needs max_source_length (the padded source "
                         'length S) >= 1.')
      self.W_a = nn.Dense(self.max_source_length, use_bias=True, name='W_a')
    if self.window == 'local_p':
      self.W_p = nn.Dense(self.attention_dim, use_bias=False, name='W_p')
      self.v_p = nn.Dense(1, use_bias=False, name='v_p')

  def prepare(self, values: Array, mask: Array) -> dict:
    """The query-independent part of the score for every source position."""
    memory = dict(values=values, mask=mask, lengths=jnp.sum(mask, -1).astype(jnp.float32))
    if self.score == 'general':
      memory['keys'] = self.W_a(values)
    elif self.score == 'concat':
      memory['keys'] = self.W_a_source(values)
    elif self.score == 'location' and values.shape[1] != self.max_source_length:
      raise ValueError(f"score='location' was built for sources of length "
                       f'{self.max_source_length}, got {values.shape[1]}.')
    return memory

  def scores(self, h: Array, memory: Memory) -> Array:
    """score(h_t, h_s) for every source position: h [batch, H] -> [batch, S]."""
    values = memory['values']
    if self.score == 'dot':
      if h.shape[-1] != values.shape[-1]:
        raise ValueError(f"model.score='dot' needs decoder states as wide as the encoder's "
                         f'({h.shape[-1]} vs {values.shape[-1]}); use general or concat.')
      return jnp.einsum('bh,bsh->bs', h, values)
    if self.score == 'general':
      return jnp.einsum('bh,bsh->bs', h, memory['keys'])
    if self.score == 'concat':
      return self.v_a(jnp.tanh(self.W_a_target(h)[:, None, :] + memory['keys']))[..., 0]
    return self.W_a(h)                   # location: a_t = softmax(W_a h_t)

  def aligned_position(self, h: Array, memory: Memory, t: Array | None) -> Array:
    """p_t [batch]: t (local-m) or S * sigmoid(v_p^T tanh(W_p h_t)) (local-p, eq. 9)."""
    if self.window == 'local_m':
      if t is None:
        raise ValueError("window='local_m' needs the target step t.")
      return jnp.broadcast_to(jnp.asarray(t, jnp.float32), h.shape[:1])
    return memory['lengths'] * jax.nn.sigmoid(self.v_p(jnp.tanh(self.W_p(h)))[..., 0])

  def __call__(self, h: Array, memory: Memory, t: Array | None = None):
    """(c_t [batch, E], a_t [batch, S]) for the current top state h_t [batch, H].

    `t`: the 1-based target step (local-m's window centre).
    """
    scores = self.scores(h, memory)
    if self.window == 'global':
      weights = masked_softmax(scores, memory['mask'])
    else:
      p = self.aligned_position(h, memory, t)
      weights = local_weights(scores, memory['mask'], p, self.D,
                              predictive=self.window == 'local_p')
    return context(weights, memory['values']), weights
