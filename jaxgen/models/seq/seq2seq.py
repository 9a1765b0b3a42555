"""Encoder-decoders: Sutskever et al. (2014) / Cho et al. (2014), Bahdanau et al. (2015), Luong
et al. (2015).

  attention='none'      the encoder's final carry initialises the decoder, which sees nothing
                        else of the source (Sutskever 2014, with the source optionally read
                        reversed, `reverse_source`):
                          h_t = f(h_{t-1}, E y_{t-1}),  p(y_t) = softmax(W_o h_t).
  attention='cho'       the RNN encoder-decoder of Cho et al. (2014, sec. 2.2 and appendix
                        A): the summary c = tanh(V h_N) of a unidirectional gated (GRU)
                        encoder's last state starts the decoder, h'_0 = tanh(V' c), and is read
                        again at every decoder step, inside each gate and the candidate
                        (eqs. 13-16 of A.1.2, `ChoGRUCell`), and by the readout:
                          h'_t = f(h'_{t-1}, E y_{t-1}, c)
                          s_t = maxout(O_h h'_t + O_y E y_{t-1} + O_c c)   (A.1.2)
                          p(y_t) = softmax(G s_t).
  attention='bahdanau'  RNNsearch (Bahdanau 2015, sec. 3 and appendix A): a bidirectional
                        encoder's annotations h_j = [fwd h_j; bwd h_j]; s_0 = tanh(W_s bwd h_1)
                        (the backward state at the first source position, A.2.2); per step
                          c_i = attend(s_{i-1}, h)                      (eqs. 5-6)
                          s_i = f(s_{i-1}, [E y_{i-1}; c_i])
                          t_i = maxout(U_o s_i + V_o E y_{i-1} + C_o c_i) (deep output, A.2.2)
                          p(y_i) = softmax(W_o t_i)                     (eq. 4: g(y_{i-1}, s_i, c_i))
                        (appendix A.2.2 writes U_o s_{i-1} in t~_i; we follow eq. 4's s_i, the
                        state that has just read c_i);
  attention='luong'     global / local attention (Luong 2015, sec. 3): stacked cells read
                        x_t = [E y_{t-1}; h~_{t-1}] (input feeding, sec. 3.3, or E y_{t-1}
                        alone), then
                          c_t = attend(h_t, h)                          (eqs. 7-10)
                          h~_t = tanh(W_c [c_t; h_t])                   (eq. 5)
                          p(y_t) = softmax(W_s h~_t)                    (eq. 6)

The decoder's initial carry: with a unidirectional encoder, the encoder's final carry at each
sequence's last real token, layer by layer (Sutskever, Cho, Luong); with a bidirectional one,
layer n starts from tanh(W_s^n bwd h_1) (Bahdanau; an LSTM's memory cell starts at 0).

The decoder is one module, `Decoder`, called once per target step with an explicit carry
{'cells': per-layer cell carries, 'feed': h~_{t-1} (Luong; zeros otherwise), 't': the 1-based
step [batch]}: `Seq2Seq.step` runs it once (decoding), `Seq2Seq.decode` scans it over the
teacher-forced targets with `nn.scan` (the same parameters; a test checks both give the same
logits). Every carry leaf has the batch as its leading axis, so beam search can gather it.

Shapes: source int [batch, S], source_length int [batch], target_in int [batch, T] (BOS then
the target shifted right); logits [batch, T, V], attention weights [batch, T, S].
"""
from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgen.models.seq import attention as attention_lib
from jaxgen.models.seq import rnn

ATTENTIONS = ('none', 'cho', 'bahdanau', 'luong')
Array = jax.Array


def reverse_within_length(x: Array, lengths: Array) -> Array:
  """Each row's first `length` tokens reversed, padding left in place: [batch, S]."""
  j = jnp.arange(x.shape[1])[None, :]
  idx = jnp.where(j < lengths[:, None], lengths[:, None] - 1 - j, j)
  return jnp.take_along_axis(x, idx, axis=1)


def top_state(cell: str, carry) -> Array:
  """The hidden state h of a cell's carry (an LSTM's carry is (c, h))."""
  return carry[1] if cell == 'lstm' else carry


class ChoGRUCell(nn.Module):
  """Cho et al. (2014)'s decoder unit: a GRU whose gates and candidate also read a context c.

  Appendix A.1.2, with e = E y_{t-1} and the reset gate applied to the recurrent and the
  context terms together (flax's `nn.GRUCell` has no second input; concatenating c to the
  input would put C c outside the reset gate):
    r = sigmoid(W_r e + U_r h_{t-1} + C_r c)
    z = sigmoid(W_z e + U_z h_{t-1} + C_z c)
    h~ = tanh(W e + r * (U h_{t-1} + C c))
    h_t = z * h_{t-1} + (1 - z) * h~
  Call: (h_{t-1} [batch, F], (e [batch, E], c [batch, C])) -> (h_t, h_t).
  """
  features: int

  @nn.compact
  def __call__(self, h, inputs):
    e, c = inputs
    x = nn.Dense(3 * self.features, name='W')(e)                    # W_r, W_z, W
    hc = (nn.Dense(3 * self.features, use_bias=False, name='U')(h)   # U_r, U_z, U
          + nn.Dense(3 * self.features, use_bias=False, name='C')(c))  # C_r, C_z, C
    xr, xz, xh = jnp.split(x, 3, -1)
    hr, hz, hh = jnp.split(hc, 3, -1)
    r = jax.nn.sigmoid(xr + hr)
    z = jax.nn.sigmoid(xz + hz)
    h_tilde = jnp.tanh(xh + r * hh)
    h = z * h + (1.0 - z) * h_tilde
    return h, h


class Decoder(nn.Module):
  """One decoder step: (carry, E y_{t-1} [batch, e], memory) -> (carry, (logits, weights)).

  See the module docstring for the three decoders' equations. `weights` are the attention
  weights over the source [batch, S] (zeros for attention='none').
  """
  target_vocab_size: int
  attention: str = 'bahdanau'
  score: str = 'general'
  window: str = 'global'
  D: int = 10
  input_feeding: bool = True
  cell: str = 'gru'
  features: int = 128
  num_layers: int = 1
  attention_dim: int = 128
  readout_dim: int = 64
  forget_bias: float = 1.0
  max_source_length: int = 0
  dropout: float = 0.0

  def setup(self):
    self.drop = nn.Dropout(self.dropout)
    if self.attention == 'cho':
      self.cells = [ChoGRUCell(self.features, name=f'cell_{n}')
                    for n in range(self.num_layers)]
    else:
      self.cells = [rnn.make_cell(self.cell, self.features, forget_bias=self.forget_bias,
                                  name=f'cell_{n}') for n in range(self.num_layers)]
    if self.attention in ('bahdanau', 'cho'):
      self.readout = nn.Dense(2 * self.readout_dim, name='readout')   # U_o, V_o, C_o / O_*
    if self.attention == 'bahdanau':
      self.attend = attention_lib.BahdanauAttention(self.attention_dim, name='attention')
    elif self.attention == 'luong':
      self.attend = attention_lib.LuongAttention(
          self.score, self.window, self.D, self.attention_dim, query_dim=self.features,
          max_source_length=self.max_source_length, name='attention')
      self.W_c = nn.Dense(self.features, use_bias=False, name='W_c')
    elif self.attention not in ('none', 'cho'):
      raise ValueError(f'Unknown model.attention {self.attention!r}; valid: '
                       f'{", ".join(ATTENTIONS)}.')
    self.output = nn.Dense(self.target_vocab_size, name='output')      # W_o / W_s

  def prepare(self, values: Array, mask: Array) -> dict:
    """The attention's per-sentence precomputation (U_a h_j, W_a h_s, ...)."""
    if self.attention in ('none', 'cho'):
      return dict(values=values, mask=mask)
    return self.attend.prepare(values, mask)

  def _stack(self, cells, x, context=None):
    new, h = [], x
    for cell, carry in zip(self.cells, cells):
      carry, h = cell(carry, h if context is None else (h, context))
      new.append(carry)
    return tuple(new), h

  def _maxout(self, features):
    t_tilde = self.readout(features)
    return jnp.max(t_tilde.reshape(t_tilde.shape[:-1] + (self.readout_dim, 2)), -1)

  def __call__(self, carry, emb: Array, memory, train: bool = False):
    t = carry['t']
    out = lambda x: self.output(self.drop(x, deterministic=not train))
    if self.attention == 'bahdanau':
      s_prev = top_state(self.cell, carry['cells'][-1])
      c, weights = self.attend(s_prev, memory)                  # from s_{i-1}
      cells, s = self._stack(carry['cells'], jnp.concatenate([emb, c], -1))
      logits = out(self._maxout(jnp.concatenate([s, emb, c], -1)))
      feed = carry['feed']
    elif self.attention == 'luong':
      x = jnp.concatenate([emb, carry['feed']], -1) if self.input_feeding else emb
      cells, h = self._stack(carry['cells'], x)
      c, weights = self.attend(h, memory, t)                    # from h_t
      feed = jnp.tanh(self.W_c(jnp.concatenate([c, h], -1)))   # h~_t
      logits = out(feed)
    elif self.attention == 'cho':
      c = memory['summary']                                     # the same c at every step
      cells, h = self._stack(carry['cells'], emb, context=c)
      logits = out(self._maxout(jnp.concatenate([h, emb, c], -1)))
      feed = carry['feed']
      weights = jnp.zeros(memory['mask'].shape, logits.dtype)
    else:
      cells, h = self._stack(carry['cells'], emb)
      logits, feed = out(h), carry['feed']
      weights = jnp.zeros(memory['mask'].shape, logits.dtype)
    return dict(cells=cells, feed=feed, t=t + 1), (logits, weights)


class Seq2Seq(nn.Module):
  """An encoder-decoder (see the module docstring).

  Attributes:
    source_vocab_size, target_vocab_size: vocabulary sizes (ids 0..3 the specials).
    attention: 'none', 'cho', 'bahdanau' or 'luong'.
    score, window, D, input_feeding: Luong's choices (`attention.LuongAttention`).
    cell: 'elman', 'lstm' or 'gru' (`rnn.make_cell`), encoder and decoder.
    features: cells per layer (per direction in a bidirectional encoder).
    embed_dim: source and target embedding width.
    num_layers: encoder and decoder layers.
    bidirectional: a bidirectional encoder (Bahdanau's); else unidirectional.
    reverse_source: read each source reversed within its length (Sutskever 2014; only
      without attention, where no attention map refers to source positions).
    attention_dim: Bahdanau's n' and Luong's concat / local-p width.
    readout_dim: Bahdanau's maxout width l.
    max_source_length: the padded source length (Luong's location score only).
    dropout: the rate on the non-recurrent connections (Zaremba et al. 2014, as Luong et al.
      2015 sec. 4.1 train): the embeddings, every encoder layer's outputs and the output
      layer's input; only where `train=True` (the papers' large-data runs used none).
  """
  source_vocab_size: int
  target_vocab_size: int
  attention: str = 'bahdanau'
  score: str = 'general'
  window: str = 'global'
  D: int = 10
  input_feeding: bool = True
  cell: str = 'gru'
  features: int = 128
  embed_dim: int = 64
  num_layers: int = 1
  bidirectional: bool = True
  reverse_source: bool = False
  attention_dim: int = 128
  readout_dim: int = 64
  forget_bias: float = 1.0
  max_source_length: int = 0
  dropout: float = 0.0

  def setup(self):
    if self.attention not in ATTENTIONS:
      raise ValueError(f'Unknown model.attention {self.attention!r}; valid: '
                       f'{", ".join(ATTENTIONS)}.')
    if self.cell not in rnn.CELLS:
      raise ValueError(f'Unknown model.cell {self.cell!r}; valid: {", ".join(rnn.CELLS)}.')
    if self.attention in ('none', 'cho') and self.bidirectional:
      raise ValueError(f"model.attention='{self.attention}' needs a unidirectional encoder "
                       '(model.bidirectional=False): its final carry starts the decoder.')
    if self.attention == 'cho' and self.cell != 'gru':
      raise ValueError("model.attention='cho' needs model.cell='gru' (Cho 2014's gated "
                       f'unit), got {self.cell!r}.')
    if self.reverse_source and self.attention not in ('none', 'cho'):
      raise ValueError("model.reverse_source=True is for attention='none' or 'cho' only "
                       '(attention maps would refer to reversed positions).')
    self.source_embed = nn.Embed(self.source_vocab_size, self.embed_dim, name='source_embed')
    self.target_embed = nn.Embed(self.target_vocab_size, self.embed_dim, name='target_embed')
    self.encoder = rnn.RNNStack(self.cell, self.features, self.num_layers, self.bidirectional,
                                input_skip=False, output_skip=False,
                                forget_bias=self.forget_bias, dropout=self.dropout,
                                name='encoder')
    self.drop = nn.Dropout(self.dropout)
    if self.bidirectional:
      self.W_s = [nn.Dense(self.features, name=f'W_s_{n}') for n in range(self.num_layers)]
    if self.attention == 'cho':                     # c = tanh(V h_N), h'_0 = tanh(V' c)
      self.V = nn.Dense(self.features, name='V')
      self.V_prime = [nn.Dense(self.features, name=f'V_prime_{n}')
                      for n in range(self.num_layers)]
    self.decoder = Decoder(self.target_vocab_size, self.attention, self.score, self.window,
                           self.D, self.input_feeding, self.cell, self.features,
                           self.num_layers, self.attention_dim, self.readout_dim,
                           self.forget_bias, self.max_source_length, self.dropout,
                           name='decoder')

  def encode(self, source: Array, source_length: Array, train: bool = False):
    """(memory, initial decoder carry) of a source batch.

    memory: {'values': annotations [batch, S, E] (zero past each length), 'mask' bool
    [batch, S], and the attention's precomputed keys}.
    """
    source_length = jnp.asarray(source_length, jnp.int32)
    if self.reverse_source:
      source = reverse_within_length(source, source_length)
    mask = rnn.length_mask(source_length, source.shape[1])
    emb = self.drop(self.source_embed(source), deterministic=not train)
    values, carries = self.encoder(emb, source_length, train=train)
    batch = source.shape[0]
    if self.bidirectional:
      bwd_h1 = values[:, 0, self.features:]                     # backward state at j = 1
      cells = []
      for n in range(self.num_layers):
        h0 = jnp.tanh(self.W_s[n](bwd_h1))
        cells.append((jnp.zeros_like(h0), h0) if self.cell == 'lstm' else h0)
      cells = tuple(cells)
    elif self.attention == 'cho':
      summary = jnp.tanh(self.V(top_state(self.cell, carries[-1])))
      cells = tuple(jnp.tanh(v(summary)) for v in self.V_prime)
    else:
      cells = tuple(carries)
    width = self.features
    carry = dict(cells=cells, feed=jnp.zeros((batch, width), values.dtype),
                 t=jnp.ones((batch,), jnp.int32))
    memory = self.decoder.prepare(values, mask)
    if self.attention == 'cho':
      memory['summary'] = summary
    return memory, carry

  def step(self, memory, carry, tokens: Array):
    """One decoding step: tokens y_{t-1} int [batch] -> (carry, logits [batch, V],
    weights [batch, S])."""
    carry, (logits, weights) = self.decoder(carry, self.target_embed(tokens), memory)
    return carry, logits, weights

  def decode(self, memory, carry, target_in: Array, train: bool = False):
    """Teacher-forced logits [batch, T, V] and weights [batch, T, S] (`nn.scan` over T)."""

    def body(decoder, c, emb, mem):
      return decoder(c, emb, mem, train)

    scan = nn.scan(body, variable_broadcast='params',
                   split_rngs={'params': False, 'dropout': True},
                   in_axes=(1, nn.broadcast), out_axes=1)
    emb = self.drop(self.target_embed(target_in), deterministic=not train)
    _, (logits, weights) = scan(self.decoder, carry, emb, memory)
    return logits, weights

  def __call__(self, source, source_length, target_in, train: bool = False):
    memory, carry = self.encode(source, source_length, train)
    return self.decode(memory, carry, target_in, train)


def shift_right(target: Array, bos: int) -> Array:
  """The decoder's teacher-forced inputs: BOS, then target without its last token."""
  return jnp.concatenate([jnp.full(target.shape[:1] + (1,), bos, target.dtype),
                          target[:, :-1]], axis=1)
