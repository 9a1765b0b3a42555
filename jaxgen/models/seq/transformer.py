"""The Transformer of Vaswani et al. (2017), "Attention Is All You Need": encoder-decoder and
decoder-only (language model) forms, with a key/value cache for fast decoding.

Attention (sec. 3.2, eqs. 1 and the multi-head equation), flax's `nn.MultiHeadDotProductAttention`:

    Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k)) V
    MultiHead(Q, K, V) = Concat(head_1, ..., head_h) W^O,  head_i = Attention(Q W_i^Q, K W_i^K, V W_i^V)

with d_k = d_v = d_model / h. Masks are flax's (`nn.make_attention_mask` for source padding,
`nn.make_causal_mask` for the decoder's self-attention), so a padded source token gets
exactly zero weight and position t of the decoder sees positions <= t only.

Layers (sec. 3.1), each sub-layer wrapped as the paper does (post-LN, the default):

    post-LN  x <- LayerNorm(x + Dropout(Sublayer(x)))                       (sec. 3.1, 5.4)
    pre-LN   x <- x + Dropout(Sublayer(LayerNorm(x))), a final LayerNorm on the stack
             (Wang et al. 2019; Xiong et al. 2020: trains without warmup; `pre_ln=True`)

  encoder layer  self-attention, then the position-wise MLP
  decoder layer  causal self-attention, attention over the encoder output (encoder-decoder
                 form only), then the MLP
  MLP            FFN(x) = max(0, x W_1 + b_1) W_2 + b_2                         (eq. 2)
                 (Dense `wi` then Dense `wo`, inside a module `mlp`)

Embeddings (sec. 3.4): token embeddings times sqrt(d_model), plus positional encodings
(sec. 3.5), then dropout (P_drop, sec. 5.4). The pre-softmax projection is the (target)
embedding matrix transposed (`tie_output`, Press & Wolf 2017); `share_embeddings` shares one
matrix between source, target and output as the paper does over its shared BPE vocabulary.

Positional encodings (sec. 3.5), `positions`:

  'sinusoid'  PE(pos, 2i) = sin(pos / 10000^(2i / d_model)),
              PE(pos, 2i + 1) = cos(pos / 10000^(2i / d_model))    (interleaved, the paper's)
  'split'     the same frequencies with the sines in the first half of the channels and the
              cosines in the second (tensor2tensor's layout; not the paper's formula)
  'learned'   a learned table of `max_len` rows (Table 3, row E)

Parameter names (the tensor-parallel rules match them): `embed` (a shared or a decoder-only
model's token embedding; `source_embed` / `target_embed` when they are separate), per layer
`self_attention` / `cross_attention` with `query`, `key`, `value`, `out` kernels and `mlp`
with `wi`, `wo`; `output` when the output projection is untied.

Fast decoding: the decoder's self-attention keys and values of past positions are kept in
an explicit cache ('cache' collection, `CachedSelfAttention`: [b, h, L, d/h], updated in
place, attended block by block over the filled slots only), so step t costs O(N + t d)
instead of re-running the O(t N + t^2 d) prefix. `seq2seq_step_fn` / `lm_step_fn` expose it
as the generic `step_fn(tokens [n], state) -> (logits [n, V], state, aux)` of `jaxgen.models.seq.sampling`.
Every state leaf has the n sequences as its leading axis (so beam search can gather it): the
one exception in the cache, its scalar `cache_index`, is carried as an int [n] vector (all
rows decode in lockstep) and turned back into the scalar inside the step (`cache_to_state`,
`state_to_cache`). As in flax's examples/wmt, the cross-attention re-projects the encoder
output at every step (only the self-attention is cached).

Shapes: source int [batch, S], source_length int [batch], target_in int [batch, T] (BOS then
the target shifted right), logits [batch, T, V]; a language model's tokens int [batch, T].
"""
from __future__ import annotations

import functools
import math
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

POSITIONS = ('sinusoid', 'split', 'learned')
DECODE_CACHES = ('blocks', 'flax')
Array = jax.Array

# The paper does not name an initialiser; these are tensor2tensor's / flax examples/wmt's.
DENSE_INIT = nn.initializers.xavier_uniform()


def embed_init(d_model: int):
  """N(0, d_model^-1): times sqrt(d_model) the embedded tokens have unit variance, and the
  tied output logits x E^T start at unit scale."""
  return nn.initializers.normal(stddev=d_model ** -0.5)


# ============================================================== positions
def sinusoid(positions: Array, d_model: int, layout: str = 'sinusoid') -> Array:
  """Sinusoidal positional encodings (sec. 3.5) of positions [...] -> [..., d_model].

    PE(pos, 2i) = sin(pos / 10000^(2i / d_model)),  PE(pos, 2i + 1) = cos(pos / 10000^(2i / d_model))

  `layout` 'sinusoid' interleaves them (the paper's formula: sine at even channels, cosine
  at odd); 'split' puts the sines in channels [0, d/2) and the cosines in [d/2, d).
  """
  if d_model % 2:
    raise ValueError(f'Sinusoidal positions need an even d_model, got {d_model}.')
  if layout not in ('sinusoid', 'split'):
    raise ValueError(f"Unknown sinusoid layout {layout!r}; valid: 'sinusoid', 'split'.")
  two_i = jnp.arange(0, d_model, 2, dtype=jnp.float32)
  angle = jnp.asarray(positions, jnp.float32)[..., None] / (10000.0 ** (two_i / d_model))
  sin, cos = jnp.sin(angle), jnp.cos(angle)
  if layout == 'split':
    return jnp.concatenate([sin, cos], -1)
  return jnp.stack([sin, cos], -1).reshape(angle.shape[:-1] + (d_model,))


class Positions(nn.Module):
  """Adds positional encodings to x [batch, T, d_model] (positions 0..T-1).

  With `decode`, positions continue from a per-sequence counter in the 'cache' collection
  ('position', int [batch]), one call per generated token.

  Attributes:
    kind: 'sinusoid' (interleaved, the paper's), 'split' or 'learned'.
    max_len: rows of the learned table (positions >= max_len are clipped to the last row:
      the task checks that its sequences fit).
    decode: continue from the cached position.
  """
  kind: str = 'sinusoid'
  max_len: int = 512
  decode: bool = False

  @nn.compact
  def __call__(self, x: Array) -> Array:
    batch, length, d = x.shape
    pos = jnp.arange(length, dtype=jnp.int32)[None, :]
    if self.decode:
      initialized = self.has_variable('cache', 'position')
      counter = self.variable('cache', 'position', jnp.zeros, (batch,), jnp.int32)
      if initialized:
        pos = counter.value[:, None] + pos
        counter.value = counter.value + length
    pos = jnp.broadcast_to(pos, (batch, length))
    if self.kind == 'learned':
      table = self.param('embedding', nn.initializers.normal(stddev=0.02), (self.max_len, d))
      return x + jnp.take(table, jnp.clip(pos, 0, self.max_len - 1), axis=0)
    return x + sinusoid(pos, d, self.kind).astype(x.dtype)


# ============================================================== layers
class MLP(nn.Module):
  """FFN(x) = max(0, x W_1 + b_1) W_2 + b_2 (eq. 2): Dense `wi` (d_ff), ReLU, Dense `wo`.

  `relu_dropout` drops the hidden activations (tensor2tensor's option; the paper has none).
  """
  d_ff: int = 2048
  relu_dropout: float = 0.0

  @nn.compact
  def __call__(self, x: Array, train: bool = False) -> Array:
    h = nn.relu(nn.Dense(self.d_ff, kernel_init=DENSE_INIT, name='wi')(x))
    h = nn.Dropout(self.relu_dropout, deterministic=not train)(h)
    return nn.Dense(x.shape[-1], kernel_init=DENSE_INIT, name='wo')(h)

class CachedSelfAttention(nn.Module):
  """Causal multi-head self-attention for fast decoding, over an explicit key/value cache.

  The same parameters as `nn.MultiHeadDotProductAttention` (DenseGeneral `query`, `key`,
  `value` kernels [d, h, d/h] and `out` [h, d/h, d], with biases), so a model trained with
  flax's attention decodes with this one. Why not flax's `decode=True` cache: it keeps keys
  and values as [b, L, h, d/h] and attends to all L slots from the first step; on XLA CPU
  its `dynamic_update_slice` compiles to a fusion that rewrites the whole cache, and both
  products start with a transpose-copy of the whole cache, so each step cost four full
  passes over the cache per layer (experiments/bench/transformer.py). Here:

    cache      'cached_key', 'cached_value' [b, h, L, d/h] (the layout both products read),
               'cache_index' int32 (the next slot); L is the init call's length, rounded
               up to a multiple of `block_size` when it is longer than one block
    step t     K[:, :, t] <- k_t, V[:, :, t] <- v_t           (in place)
               out_t = softmax(q_t K_{<=t}^T / sqrt(d/h)) V_{<=t}

  computed over the filled blocks only (a `fori_loop` over ceil((t + 1) / block_size)
  blocks of keys with the running-max softmax of Milakov & Gimelshein 2018, the
  flash-decoding recurrence), so step t reads O(t) slots, not L. The init call (no cache
  yet) runs ordinary causal attention over its T positions and creates the cache. Decoding
  is inference: no dropout, and no attention weights are sown (the cross-attention's are).
  """
  num_heads: int
  qkv_features: int
  out_features: int
  kernel_init: Any = DENSE_INIT
  block_size: int = 128

  @nn.compact
  def __call__(self, inputs_q: Array, inputs_k: Array | None = None, *,
               mask: Array | None = None, deterministic: bool | None = None,
               sow_weights: bool = False) -> Array:
    del inputs_k, mask, deterministic, sow_weights   # self-attention; the cache masks
    b, t, _ = inputs_q.shape
    h = self.num_heads
    dh = self.qkv_features // h
    dense = functools.partial(nn.DenseGeneral, axis=-1, features=(h, dh),
                              kernel_init=self.kernel_init)
    q, k, v = (dense(name='query')(inputs_q), dense(name='key')(inputs_q),
               dense(name='value')(inputs_q))
    initialized = self.has_variable('cache', 'cached_key')
    slots = t if t <= self.block_size else -(-t // self.block_size) * self.block_size
    cached_key = self.variable('cache', 'cached_key', jnp.zeros, (b, h, slots, dh), k.dtype)
    cached_value = self.variable('cache', 'cached_value', jnp.zeros, (b, h, slots, dh),
                                 v.dtype)
    index = self.variable('cache', 'cache_index', lambda: jnp.array(0, jnp.int32))
    if not initialized:
      causal = nn.make_causal_mask(jnp.ones((b, t)), dtype=jnp.bool_)
      out = nn.dot_product_attention(q, k, v, mask=causal)
    else:
      if t != 1 or cached_key.value.shape[0] != b:
        raise ValueError(f'The decoding cache holds {cached_key.value.shape[0]} sequences '
                         f'and takes one token per step; got inputs of shape {(b, t)}.')
      i = index.value
      at = (0, 0, i, 0)
      keys = jax.lax.dynamic_update_slice(cached_key.value, jnp.swapaxes(k, 1, 2), at)
      values = jax.lax.dynamic_update_slice(cached_value.value, jnp.swapaxes(v, 1, 2), at)
      cached_key.value, cached_value.value, index.value = keys, values, i + 1
      block = min(self.block_size, keys.shape[2])
      out = attend_filled(q[:, 0] * dh ** -0.5, keys, values, i, block)[:, None]
    return nn.DenseGeneral(self.out_features, axis=(-2, -1), kernel_init=self.kernel_init,
                           name='out')(out)


def attend_filled(q: Array, keys: Array, values: Array, index: Array, block: int) -> Array:
  """softmax(q K_{<=index}^T) V_{<=index}, block by block over the filled slots only.

  q [b, h, d] (already scaled), keys and values [b, h, L, d] with L a multiple of `block`,
  index int32 (the last filled slot) -> [b, h, d]. Each block rescales the running sums
  by exp(m_old - m_new), so the result equals one softmax over slots 0..index.
  """
  b, h, slots, d = keys.shape
  if slots == block:                 # one block: a plain masked softmax, no loop to run
    s = jnp.einsum('bhd,bhkd->bhk', q, keys).astype(jnp.float32)
    p = jax.nn.softmax(jnp.where(jnp.arange(slots) <= index, s, -jnp.inf), axis=-1)
    return jnp.einsum('bhk,bhkd->bhd', p.astype(values.dtype), values).astype(q.dtype)
  offsets = jnp.arange(block)

  def body(j, carry):
    m, denom, acc = carry
    start = j * block
    kb = jax.lax.dynamic_slice_in_dim(keys, start, block, axis=2)
    vb = jax.lax.dynamic_slice_in_dim(values, start, block, axis=2)
    s = jnp.einsum('bhd,bhkd->bhk', q, kb).astype(jnp.float32)
    s = jnp.where(start + offsets <= index, s, -jnp.inf)
    m_new = jnp.maximum(m, jnp.max(s, -1))
    p = jnp.exp(s - m_new[..., None])
    scale = jnp.exp(m - m_new)
    denom = denom * scale + jnp.sum(p, -1)
    acc = acc * scale[..., None] + jnp.einsum('bhk,bhkd->bhd', p.astype(vb.dtype), vb)
    return m_new, denom, acc

  init = (jnp.full((b, h), -jnp.inf, jnp.float32), jnp.zeros((b, h), jnp.float32),
          jnp.zeros((b, h, d), jnp.float32))
  _, denom, acc = jax.lax.fori_loop(0, index // block + 1, body, init)
  return (acc / denom[..., None]).astype(q.dtype)


class Layer(nn.Module):
  """One encoder layer (`cross=False`, `causal=False`), decoder layer (`cross=True`,
  `causal=True`) or decoder-only layer (`cross=False`, `causal=True`).

  Sub-layers in order: `self_attention`, `cross_attention` (over `memory`), `mlp`, each as
  LayerNorm(x + Dropout(f(x))) (post-LN) or x + Dropout(f(LayerNorm(x))) (pre-LN).
  """
  d_model: int = 512
  num_heads: int = 8
  d_ff: int = 2048
  dropout_rate: float = 0.1
  attention_dropout: float = 0.0
  relu_dropout: float = 0.0
  pre_ln: bool = False
  causal: bool = False
  cross: bool = False
  decode: bool = False
  cache_block: int = 128
  decode_cache: str = 'blocks'

  def _attention(self, name, decode=False):
    if decode and self.decode_cache == 'blocks':
      return CachedSelfAttention(self.num_heads, self.d_model, self.d_model, DENSE_INIT,
                                 self.cache_block, name=name)
    return nn.MultiHeadDotProductAttention(
        num_heads=self.num_heads, qkv_features=self.d_model, out_features=self.d_model,
        dropout_rate=self.attention_dropout, kernel_init=DENSE_INIT, decode=decode,
        broadcast_dropout=False, name=name)

  @nn.compact
  def __call__(self, x: Array, mask: Array | None, memory: Array | None = None,
               memory_mask: Array | None = None, train: bool = False) -> Array:
    """x [b, T, d]; mask [b, 1, T, T] (None in decode mode: the cache masks); memory
    [b, S, d] and memory_mask [b, 1, T, S] for the cross-attention."""
    det = not train

    def sublayer(x, name, f):
      drop = nn.Dropout(self.dropout_rate, deterministic=det)
      norm = nn.LayerNorm(epsilon=1e-6, name=f'{name}_norm')
      if self.pre_ln:
        return x + drop(f(norm(x)))
      return norm(x + drop(f(x)))

    self_attention = self._attention('self_attention', decode=self.decode and self.causal)
    x = sublayer(x, 'self_attention',
                 lambda h: self_attention(h, h, mask=mask, deterministic=det, sow_weights=True))
    if self.cross:
      cross_attention = self._attention('cross_attention')
      x = sublayer(x, 'cross_attention',
                   lambda h: cross_attention(h, memory, mask=memory_mask, deterministic=det,
                                             sow_weights=True))
    mlp = MLP(self.d_ff, self.relu_dropout, name='mlp')
    return sublayer(x, 'mlp', lambda h: mlp(h, train))


class Stack(nn.Module):
  """N layers (`layer_0` ... `layer_{N-1}`), and with pre-LN the final LayerNorm `norm`."""
  num_layers: int = 6
  layer_kwargs: Any = None
  pre_ln: bool = False

  @nn.compact
  def __call__(self, x, mask, memory=None, memory_mask=None, train=False):
    for n in range(self.num_layers):
      x = Layer(**dict(self.layer_kwargs), pre_ln=self.pre_ln, name=f'layer_{n}')(
          x, mask, memory, memory_mask, train)
    if self.pre_ln:
      x = nn.LayerNorm(epsilon=1e-6, name='norm')(x)
    return x


def _check(num_layers, d_model, num_heads, d_ff, positions, rates, cache_block=1,
           decode_cache='blocks'):
  if num_layers < 1:
    raise ValueError(f'model.num_layers must be >= 1, got {num_layers}.')
  if d_model < 2 or d_ff < 1 or num_heads < 1:
    raise ValueError(f'model.d_model >= 2, d_ff >= 1 and num_heads >= 1 are needed, got '
                     f'{d_model}, {d_ff}, {num_heads}.')
  if d_model % num_heads:
    raise ValueError(f'model.d_model ({d_model}) must be divisible by model.num_heads '
                     f'({num_heads}): d_k = d_model / h.')
  if positions not in POSITIONS:
    raise ValueError(f'Unknown model.positions {positions!r}; valid: {", ".join(POSITIONS)}.')
  if positions != 'learned' and d_model % 2:
    raise ValueError(f'Sinusoidal positions need an even model.d_model, got {d_model}.')
  for key, rate in rates.items():
    if not 0.0 <= rate < 1.0:
      raise ValueError(f'model.{key} must lie in [0, 1), got {rate}.')
  if not isinstance(cache_block, int) or cache_block < 1:
    raise ValueError(f'model.cache_block must be an integer >= 1, got {cache_block!r}.')
  if decode_cache not in DECODE_CACHES:
    raise ValueError(f'Unknown model.decode_cache {decode_cache!r}; valid: '
                     f'{", ".join(DECODE_CACHES)}.')


# ============================================================== the encoder-decoder
class Transformer(nn.Module):
  """The encoder-decoder Transformer (Vaswani et al. 2017, fig. 1); defaults: the base model.

  Attributes:
    source_vocab_size, target_vocab_size: the vocabularies (equal with `share_embeddings`).
    num_layers: N, layers in the encoder and in the decoder (base 6).
    d_model: the model width (base 512); d_ff the MLP's hidden width (base 2048).
    num_heads: h (base 8); d_k = d_v = d_model / h.
    dropout_rate: P_drop on every sub-layer output and on the embeddings + positions (0.1).
    attention_dropout: dropout on the attention weights (not in the paper; 0).
    relu_dropout: dropout on the MLP's hidden units (not in the paper; 0).
    pre_ln: LayerNorm before each sub-layer and at the end of each stack (not the paper's).
    positions: 'sinusoid' (the paper's interleaved sines and cosines), 'split', 'learned'.
    max_len: the learned table's length (positions='learned' only).
    scale_embeddings: multiply embeddings by sqrt(d_model) (sec. 3.4).
    share_embeddings: one matrix for source, target and output (sec. 3.4; shared vocab).
    tie_output: the output projection is the target embedding transposed (else a Dense).
    decode: build the decoder with its self-attention cache (fast decoding).
    cache_block: the cache's block of slots (`CachedSelfAttention`): a decoding step reads
      the filled blocks only, and the cache's length is a multiple of it.
    decode_cache: 'blocks' (`CachedSelfAttention`, the default) or 'flax' (the decode=True
      cache of `nn.MultiHeadDotProductAttention`: [b, L, h, d/h], every slot read every
      step; the benchmark's peer). The parameters are the same either way.
  """
  source_vocab_size: int
  target_vocab_size: int
  num_layers: int = 6
  d_model: int = 512
  d_ff: int = 2048
  num_heads: int = 8
  dropout_rate: float = 0.1
  attention_dropout: float = 0.0
  relu_dropout: float = 0.0
  pre_ln: bool = False
  positions: str = 'sinusoid'
  max_len: int = 512
  scale_embeddings: bool = True
  share_embeddings: bool = False
  tie_output: bool = True
  decode: bool = False
  cache_block: int = 128
  decode_cache: str = 'blocks'

  def setup(self):
    _check(self.num_layers, self.d_model, self.num_heads, self.d_ff, self.positions,
           dict(dropout_rate=self.dropout_rate, attention_dropout=self.attention_dropout,
                relu_dropout=self.relu_dropout), self.cache_block, self.decode_cache)
    if self.share_embeddings and self.source_vocab_size != self.target_vocab_size:
      raise ValueError('model.share_embeddings=True needs one vocabulary for source and '
                       f'target (sizes {self.source_vocab_size} and {self.target_vocab_size}'
                       '); build the data with a shared vocabulary or set it False.')
    init = embed_init(self.d_model)
    if self.share_embeddings:
      self.source_embed = self.target_embed = nn.Embed(
          self.target_vocab_size, self.d_model, embedding_init=init, name='embed')
    else:
      self.source_embed = nn.Embed(self.source_vocab_size, self.d_model, embedding_init=init,
                                   name='source_embed')
      self.target_embed = nn.Embed(self.target_vocab_size, self.d_model, embedding_init=init,
                                   name='target_embed')
    if not self.tie_output:
      self.output = nn.Dense(self.target_vocab_size, kernel_init=DENSE_INIT, name='output')
    kw = dict(d_model=self.d_model, num_heads=self.num_heads, d_ff=self.d_ff,
              dropout_rate=self.dropout_rate, attention_dropout=self.attention_dropout,
              relu_dropout=self.relu_dropout)
    self.encoder = Stack(self.num_layers, layer_kwargs=dict(kw), pre_ln=self.pre_ln,
                         name='encoder')
    self.decoder = Stack(self.num_layers, pre_ln=self.pre_ln, name='decoder',
                         layer_kwargs=dict(kw, causal=True, cross=True, decode=self.decode,
                                                     cache_block=self.cache_block,
                                                     decode_cache=self.decode_cache))
    self.source_positions = Positions(self.positions, self.max_len, name='source_positions')
    self.target_positions = Positions(self.positions, self.max_len, decode=self.decode,
                                      name='target_positions')
    self.embed_dropout = nn.Dropout(self.dropout_rate)

  def _embed(self, module, tokens):
    x = module(tokens)
    return x * math.sqrt(self.d_model) if self.scale_embeddings else x

  def embed_target(self, target_in: Array) -> Array:
    """E y * sqrt(d_model): [b, T] -> [b, T, d] (the decoder's input before positions)."""
    return self._embed(self.target_embed, target_in)

  def encode(self, source: Array, source_length: Array, train: bool = False):
    """(memory [b, S, d], source_valid bool [b, S]); padding never reaches valid positions."""
    valid = jnp.arange(source.shape[1])[None, :] < jnp.asarray(source_length)[:, None]
    x = self.source_positions(self._embed(self.source_embed, source))
    x = self.embed_dropout(x, deterministic=not train)
    mask = nn.make_attention_mask(valid, valid, dtype=jnp.bool_)
    return self.encoder(x, mask, train=train), valid

  def decode_embedded(self, memory: Array, source_valid: Array, y: Array,
                      train: bool = False) -> Array:
    """Logits [b, T, V] from embedded target inputs y [b, T, d] (`embed_target`).

    The causal mask makes logits at t a function of y_{<=t} only. In decode mode T = 1 and
    the positions and self-attention continue from the cache.
    """
    x = self.embed_dropout(self.target_positions(y), deterministic=not train)
    queries = jnp.ones(y.shape[:2], jnp.bool_)
    mask = None if self.decode else nn.make_causal_mask(queries, dtype=jnp.bool_)
    memory_mask = nn.make_attention_mask(queries, source_valid, dtype=jnp.bool_)
    h = self.decoder(x, mask, memory, memory_mask, train=train)
    if self.tie_output:
      return self.target_embed.attend(h)
    return self.output(h)

  def decode_logits(self, memory, source_valid, target_in, train: bool = False):
    """Teacher-forced logits [b, T, V] of target_in int [b, T]."""
    return self.decode_embedded(memory, source_valid, self.embed_target(target_in), train)

  def __call__(self, source, source_length, target_in, train: bool = False):
    memory, valid = self.encode(source, source_length, train)
    return self.decode_logits(memory, valid, target_in, train)


# ============================================================== the decoder-only LM
class TransformerLM(nn.Module):
  """A decoder-only Transformer language model: the decoder stack without cross-attention
  (Liu et al. 2018; Radford et al. 2018), p(x_{t+1} | x_{<=t}) = softmax(h_t E^T).

  Attributes: as `Transformer` (one `vocab_size`; `embed` is the token embedding, tied with
  the output unless `tie_output=False`).
  """
  vocab_size: int
  num_layers: int = 6
  d_model: int = 512
  d_ff: int = 2048
  num_heads: int = 8
  dropout_rate: float = 0.1
  attention_dropout: float = 0.0
  relu_dropout: float = 0.0
  pre_ln: bool = False
  positions: str = 'sinusoid'
  max_len: int = 512
  scale_embeddings: bool = True
  tie_output: bool = True
  decode: bool = False
  cache_block: int = 128
  decode_cache: str = 'blocks'

  def setup(self):
    _check(self.num_layers, self.d_model, self.num_heads, self.d_ff, self.positions,
           dict(dropout_rate=self.dropout_rate, attention_dropout=self.attention_dropout,
                relu_dropout=self.relu_dropout), self.cache_block, self.decode_cache)
    self.embed = nn.Embed(self.vocab_size, self.d_model, embedding_init=embed_init(self.d_model),
                          name='embed')
    if not self.tie_output:
      self.output = nn.Dense(self.vocab_size, kernel_init=DENSE_INIT, name='output')
    kw = dict(d_model=self.d_model, num_heads=self.num_heads, d_ff=self.d_ff,
              dropout_rate=self.dropout_rate, attention_dropout=self.attention_dropout,
              relu_dropout=self.relu_dropout, causal=True, decode=self.decode,
              cache_block=self.cache_block, decode_cache=self.decode_cache)
    self.decoder = Stack(self.num_layers, layer_kwargs=kw, pre_ln=self.pre_ln, name='decoder')
    self.positions_ = Positions(self.positions, self.max_len, decode=self.decode,
                                name='positions')
    self.embed_dropout = nn.Dropout(self.dropout_rate)

  def embed_tokens(self, tokens: Array) -> Array:
    x = self.embed(tokens)
    return x * math.sqrt(self.d_model) if self.scale_embeddings else x

  def from_embedded(self, y: Array, train: bool = False) -> Array:
    """Logits [b, T, V] from embedded tokens y [b, T, d] (causal in T)."""
    x = self.embed_dropout(self.positions_(y), deterministic=not train)
    mask = None if self.decode else nn.make_causal_mask(jnp.ones(y.shape[:2]),
                                                        dtype=jnp.bool_)
    h = self.decoder(x, mask, train=train)
    return self.embed.attend(h) if self.tie_output else self.output(h)

  def __call__(self, tokens: Array, lengths: Array | None = None, train: bool = False):
    """tokens int [b, T] -> logits [b, T, V] (logits t predict token t + 1); `lengths` is
    unused (the causal mask keeps padding after a sequence away from its tokens)."""
    del lengths
    return self.from_embedded(self.embed_tokens(tokens), train)


# ============================================================== the cache and step functions
def _is_index(path) -> bool:
  return getattr(path[-1], 'key', None) == 'cache_index'


def cache_to_state(cache, n: int):
  """The cache -> a state pytree with n leading on every leaf (scalar indices -> [n])."""
  return jax.tree_util.tree_map_with_path(
      lambda p, x: jnp.full((n,), x, x.dtype) if _is_index(p) else x, cache)


def state_to_cache(state):
  """The inverse of `cache_to_state`: every row decodes in lockstep, so row 0's index is
  every row's."""
  return jax.tree_util.tree_map_with_path(lambda p, x: x[0] if _is_index(p) else x, state)


def _zeros_like_shapes(shapes):
  return jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), shapes)


def init_seq2seq_cache(model: Transformer, params, memory: Array, source_valid: Array,
                       max_len: int):
  """The empty decoding cache of `model` for n = memory.shape[0] sequences of up to `max_len`
  target tokens, in state form (`cache_to_state`)."""
  dec = model.clone(decode=True)
  n = memory.shape[0]
  shapes = jax.eval_shape(
      lambda: dec.init(jax.random.key(0), memory, source_valid,
                       jnp.zeros((n, max_len), jnp.int32), method=Transformer.decode_logits))
  del params
  return cache_to_state(_zeros_like_shapes(shapes['cache']), n)


def seq2seq_step_fn(model: Transformer, params):
  """The cached decoder as `step_fn(tokens [n], state) -> (logits [n, V], state, weights)`.

  state = {'cache': the self-attention cache (`init_seq2seq_cache`), 'memory': the encoder
  output [n, S, d], 'valid': bool [n, S]}; weights [n, S] are the last decoder layer's
  cross-attention weights for this step, averaged over the heads.
  """
  dec = model.clone(decode=True)
  last = f'layer_{model.num_layers - 1}'

  def step(tokens, state):
    logits, out = dec.apply(
        {'params': params, 'cache': state_to_cache(state['cache'])}, state['memory'],
        state['valid'], tokens[:, None], method=Transformer.decode_logits,
        mutable=['cache', 'intermediates'])
    n = tokens.shape[0]
    weights = out['intermediates']['decoder'][last]['cross_attention']['attention_weights'][0]
    new = dict(state, cache=cache_to_state(out['cache'], n))
    return logits[:, 0], new, jnp.mean(weights[:, :, 0, :], axis=1)
  return step


def init_lm_cache(model: TransformerLM, batch: int, max_len: int):
  """The empty cache of a `TransformerLM` for `batch` sequences of up to `max_len` tokens."""
  dec = model.clone(decode=True)
  shapes = jax.eval_shape(lambda: dec.init(jax.random.key(0),
                                           jnp.zeros((batch, max_len), jnp.int32)))
  return cache_to_state(_zeros_like_shapes(shapes['cache']), batch)


def lm_step_fn(model: TransformerLM):
  """`(params, cache, token [n]) -> (cache, logits [n, V])`: the step of
  `sampling.sample_lm`, over the cache of `init_lm_cache`."""
  dec = model.clone(decode=True)

  def step(params, cache, token):
    logits, out = dec.apply({'params': params, 'cache': state_to_cache(cache)},
                            token[:, None], mutable=['cache'])
    return cache_to_state(out['cache'], token.shape[0]), logits[:, 0]
  return step


def attention_weights(intermediates, stack: str, kind: str):
  """[num_layers, b, heads, T_q, T_k] of `kind` ('self_attention' / 'cross_attention') in
  `stack` ('encoder' / 'decoder') from the 'intermediates' a `mutable=['intermediates']`
  apply returns (the weights `nn.MultiHeadDotProductAttention` sows)."""
  layers = intermediates[stack]
  names = sorted(layers, key=lambda k: int(k.split('_')[-1]) if k.startswith('layer_') else -1)
  return jnp.stack([layers[k][kind]['attention_weights'][0] for k in names
                    if k.startswith('layer_')])


# ============================================================== loss and size
def label_smoothed_nll(logits: Array, targets: Array, mask: Array, epsilon: float) -> Array:
  """Per-token cross-entropy against label-smoothed targets, zero where `mask` is False.

    q(k) = (1 - eps) [k = y] + eps / V,    loss = -sum_k q(k) log p(k)

  (Szegedy et al. 2016, sec. 7, with u(k) = 1 / V; the paper's eps_ls = 0.1, sec. 5.4).
  logits [b, T, V], targets int [b, T], mask [b, T] -> [b, T]. eps = 0 is the plain NLL.
  """
  logp = jax.nn.log_softmax(logits.astype(jnp.float32), axis=-1)
  nll = -jnp.take_along_axis(logp, targets[..., None], -1)[..., 0]
  if epsilon:
    nll = (1.0 - epsilon) * nll - epsilon * jnp.mean(logp, axis=-1)
  return jnp.where(mask, nll, 0.0)


def num_params(params) -> int:
  """Scalars in a parameter pytree (arrays or `jax.eval_shape` shapes)."""
  return int(sum(np.prod(x.shape) for x in jax.tree.leaves(params)))
