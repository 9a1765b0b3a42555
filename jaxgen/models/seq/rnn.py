"""Recurrent cells and stacks: Elman, LSTM (forget gate, peepholes), deep and bidirectional RNNs.

Built on flax's `nn.RNN` / `nn.Bidirectional` / `nn.SimpleCell`; this module adds what flax
lacks and the papers need:

  LSTMCell     Hochreiter & Schmidhuber (1997) with the forget gate of Gers et al. (2000):
               a `forget_bias` added to the forget gate's pre-activation (flax's cells have
               none; Gers 2000 and Jozefowicz et al. 2015 start it at 1), and the optional
               diagonal peephole connections of Gers & Schmidhuber (2000) / Graves (2013,
               eqs. 7-11), which flax's cells do not have at all.
  Truncated    truncated back-propagation through time (Williams & Peng 1990): the gradient
               is stopped through the carry every `k` steps. The forward pass is unchanged.
  mask_outputs zeroes the outputs past each sequence's length: `nn.RNN(seq_lengths=...)`
               freezes the carry there but keeps emitting outputs (flax's documented
               behaviour), which would otherwise leak into a pooled or summed readout.
  RNNStack     the deep RNN of Graves (2013, eqs. 1-3): layer n sees the input and the layer
               below (skip connections from the input to every layer), the output layer sees
               every hidden layer; each layer unidirectional or bidirectional (Schuster &
               Paliwal 1997, each padded sequence reversed within its own length, flax's
               `flip_sequences`).

Cells: 'elman' (Elman 1990: h_t = tanh(W x_t + U h_{t-1} + b), flax's `SimpleCell`), 'lstm'
(this module's `LSTMCell`), 'gru' (flax's `GRUCell`, Cho et al. 2014).

Shapes: inputs [batch, time, features], lengths int [batch] (None: all full length).
"""
from __future__ import annotations

import functools
from typing import Any, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

CELLS = ('elman', 'lstm', 'gru')
Array = jax.Array


class LSTMCell(nn.RNNCellBase):
  """An LSTM cell with a forget-gate bias and optional peepholes (Graves 2013, eqs. 7-11).

    i_t = sigma(W_xi x_t + W_hi h_{t-1} + w_ci * c_{t-1} + b_i)
    f_t = sigma(W_xf x_t + W_hf h_{t-1} + w_cf * c_{t-1} + b_f + forget_bias)
    c_t = f_t * c_{t-1} + i_t * tanh(W_xc x_t + W_hc h_{t-1} + b_c)
    o_t = sigma(W_xo x_t + W_ho h_{t-1} + w_co * c_t + b_o)
    h_t = o_t * tanh(c_t)

  The peephole weights w_c* are diagonal (vectors), as in Gers & Schmidhuber (2000); without
  `peepholes` they are absent and this is the LSTM of Gers et al. (2000). The four gates are
  computed by one fused input matmul and one fused recurrent matmul (one kernel each, gate
  order i, f, g, o). Carry: (c, h), as flax's cells.

  Attributes:
    features: the number of cells H.
    forget_bias: added to the forget gate's pre-activation (1.0: remember by default).
    peepholes: add the diagonal cell-to-gate connections.
  """
  features: int
  forget_bias: float = 1.0
  peepholes: bool = False
  kernel_init: Any = nn.initializers.lecun_normal()
  recurrent_kernel_init: Any = nn.initializers.orthogonal()
  carry_init: Any = nn.initializers.zeros_init()
  param_dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, carry, inputs):
    c, h = carry
    hdim = self.features
    x_gates = nn.Dense(4 * hdim, use_bias=True, kernel_init=self.kernel_init,
                       param_dtype=self.param_dtype, name='input')(inputs)
    h_gates = nn.Dense(4 * hdim, use_bias=False, kernel_init=self._recurrent_init,
                       param_dtype=self.param_dtype, name='recurrent')(h)
    z = x_gates + h_gates
    zi, zf, zg, zo = jnp.split(z, 4, axis=-1)
    if self.peepholes:
      w_i, w_f, w_o = (self.param(n, nn.initializers.zeros_init(), (hdim,), self.param_dtype)
                       for n in ('peephole_i', 'peephole_f', 'peephole_o'))
      zi = zi + w_i * c
      zf = zf + w_f * c
    i = jax.nn.sigmoid(zi)
    f = jax.nn.sigmoid(zf + self.forget_bias)
    new_c = f * c + i * jnp.tanh(zg)
    if self.peepholes:
      zo = zo + w_o * new_c
    new_h = jax.nn.sigmoid(zo) * jnp.tanh(new_c)
    return (new_c, new_h), new_h

  def _recurrent_init(self, key, shape, dtype=jnp.float32):
    """One orthogonal block per gate (an orthogonal [H, 4H] is not orthogonal per gate)."""
    keys = jax.random.split(key, 4)
    h = shape[0]
    return jnp.concatenate([self.recurrent_kernel_init(k, (h, h), dtype) for k in keys], -1)

  @nn.nowrap
  def initialize_carry(self, rng, input_shape):
    batch = input_shape[:-1]
    k1, k2 = jax.random.split(rng)
    shape = batch + (self.features,)
    return (self.carry_init(k1, shape, self.param_dtype),
            self.carry_init(k2, shape, self.param_dtype))

  @property
  def num_feature_axes(self) -> int:
    return 1


class Truncated(nn.RNNCellBase):
  """Truncated BPTT: `cell`, with the gradient through its carry stopped every `k` steps.

  The carry is (inner carry, t), t int [batch] the step count. At steps t = k, 2k, ... the incoming carry passes through
  `lax.stop_gradient`, so the loss at step s back-propagates to step k * floor(s / k) at the
  earliest (Williams & Peng 1990, with k1 = k2 = k). Forward values are those of `cell`.
  """
  cell: nn.RNNCellBase
  k: int

  def __call__(self, carry, inputs):
    inner, t = carry
    cut = jnp.logical_and(t > 0, t % self.k == 0)          # [batch...]

    def maybe_stop(c):
      at = cut.reshape(cut.shape + (1,) * (c.ndim - cut.ndim))
      return jnp.where(at, jax.lax.stop_gradient(c), c)
    inner = jax.tree.map(maybe_stop, inner)
    inner, y = self.cell(inner, inputs)
    return (inner, t + 1), y

  @nn.nowrap
  def initialize_carry(self, rng, input_shape):
    # The step counter is per example (shape of the batch axes), so the carry can be
    # gathered or sharded along the batch like any other carry.
    return self.cell.initialize_carry(rng, input_shape), jnp.zeros(input_shape[:-1], jnp.int32)

  @property
  def num_feature_axes(self) -> int:
    return self.cell.num_feature_axes


def make_cell(kind: str, features: int, *, forget_bias: float = 1.0, peepholes: bool = False,
              truncate: int = 0, name: str | None = None) -> nn.RNNCellBase:
  """A cell by name ('elman', 'lstm', 'gru'); `truncate=k > 0` wraps it in `Truncated`."""
  # Wrapped in `Truncated`, the cell is created unbound (parent=None) so that it becomes the
  # wrapper's child ('cell'), not a sibling of the wrapper in the caller's scope.
  inner = dict(parent=None) if truncate else dict(name=name)
  if kind == 'elman':
    cell = nn.SimpleCell(features, **inner)
  elif kind == 'lstm':
    cell = LSTMCell(features, forget_bias=forget_bias, peepholes=peepholes, **inner)
  elif kind == 'gru':
    cell = nn.GRUCell(features, **inner)
  else:
    raise ValueError(f'Unknown cell {kind!r}; valid: {", ".join(CELLS)}.')
  if truncate:
    if truncate < 1:
      raise ValueError(f'truncate must be >= 1 (0: full BPTT), got {truncate}.')
    cell = Truncated(cell, int(truncate), name=name)
  return cell


def length_mask(lengths: Array | None, time: int, batch: int | None = None) -> Array:
  """bool [batch, time]: True at steps before each sequence's length (all True if None)."""
  if lengths is None:
    return jnp.ones((batch or 1, time), bool)
  return jnp.arange(time)[None, :] < jnp.asarray(lengths)[:, None]


def mask_outputs(outputs: Array, lengths: Array | None) -> Array:
  """Zeroes outputs [batch, time, ...] at steps >= each sequence's length."""
  if lengths is None:
    return outputs
  mask = length_mask(lengths, outputs.shape[1])
  mask = mask.reshape(mask.shape + (1,) * (outputs.ndim - 2))
  return jnp.where(mask, outputs, jnp.zeros((), outputs.dtype))


class RNNLayer(nn.Module):
  """One recurrent layer over [batch, time, features]: unidirectional or bidirectional.

  Returns (outputs [batch, time, H or 2H] zeroed past `lengths`, final carry). The final
  carry is the carry at each sequence's last valid step (flax's `seq_lengths`); for a
  bidirectional layer it is (forward carry, backward carry), the backward one having read
  each sequence from its last valid step back to its first.
  """
  cell: str = 'lstm'
  features: int = 128
  bidirectional: bool = False
  forget_bias: float = 1.0
  peepholes: bool = False
  truncate: int = 0

  def _cell(self, name):
    return make_cell(self.cell, self.features, forget_bias=self.forget_bias,
                     peepholes=self.peepholes, truncate=self.truncate, name=name)

  @nn.compact
  def __call__(self, x, lengths=None, initial_carry=None):
    if self.bidirectional:
      layer = nn.Bidirectional(nn.RNN(self._cell('forward')), nn.RNN(self._cell('backward')),
                               return_carry=True, name='bidirectional')
      carry, y = layer(x, seq_lengths=lengths, initial_carry=initial_carry)
    else:
      carry, y = nn.RNN(self._cell('cell'), return_carry=True, name='rnn')(
          x, seq_lengths=lengths, initial_carry=initial_carry)
    return mask_outputs(y, lengths), carry


class RNNStack(nn.Module):
  """The deep RNN of Graves (2013, eqs. 1-3), with optional bidirectional layers.

    h^1_t = H(W_{x h^1} x_t + W_{h^1 h^1} h^1_{t-1} + b^1)
    h^n_t = H(W_{x h^n} x_t + W_{h^{n-1} h^n} h^{n-1}_t + W_{h^n h^n} h^n_{t-1} + b^n)
    y_t   = b_y + sum_n W_{h^n y} h^n_t

  `input_skip` feeds x_t to every layer (eq. 2's first term) and `output_skip` feeds every
  layer to the output (eq. 3); with both off this is a plain stacked RNN whose output reads the
  top layer only. Returns (features [batch, time, F], carries per layer): the features are the
  concatenation the output layer reads (every layer's outputs with `output_skip`, else the top
  layer's), zeroed past `lengths`; the caller applies the output Dense (W_{h^n y}, b_y), so a
  language model and a tagger share this stack.
  """
  cell: str = 'lstm'
  features: int = 128
  num_layers: int = 1
  bidirectional: bool = False
  input_skip: bool = True
  output_skip: bool = True
  forget_bias: float = 1.0
  peepholes: bool = False
  truncate: int = 0
  dropout: float = 0.0

  def _layer(self, n: int) -> RNNLayer:
    return RNNLayer(self.cell, self.features, self.bidirectional, self.forget_bias,
                    self.peepholes, self.truncate, name=f'layer_{n}')

  @nn.compact
  def __call__(self, x, lengths=None, initial_carries=None, train: bool = False):
    if self.num_layers < 1:
      raise ValueError(f'num_layers must be >= 1, got {self.num_layers}.')
    outs, carries = [], []
    h = x
    for n in range(self.num_layers):
      inp = h if (n == 0 or not self.input_skip) else jnp.concatenate([x, h], -1)
      init = None if initial_carries is None else initial_carries[n]
      h, carry = self._layer(n)(inp, lengths, init)
      if self.dropout:
        h = nn.Dropout(self.dropout, deterministic=not train)(h)
      outs.append(h)
      carries.append(carry)
    feats = jnp.concatenate(outs, -1) if self.output_skip else outs[-1]
    return feats, tuple(carries)

  # --- one step at a time (generation with an explicit carry) ------------------------------
  @nn.nowrap
  def step_fn(self):
    """A pure `(params, carries, x_t [batch, in]) -> (carries, feats_t)` for this stack.

    The same parameters as `__call__` (a unidirectional stack only): generation runs this in
    a `lax.scan`, one step per token, instead of re-running the whole prefix.
    """
    if self.bidirectional:
      raise ValueError('A bidirectional stack has no step function: it reads the whole '
                       'sequence (use it as an encoder or tagger, not a generator).')
    cells = [make_cell(self.cell, self.features, forget_bias=self.forget_bias,
                       peepholes=self.peepholes) for _ in range(self.num_layers)]

    def step(params, carries, x_t):
      new, outs, h = [], [], x_t
      for n, cell in enumerate(cells):
        inp = h if (n == 0 or not self.input_skip) else jnp.concatenate([x_t, h], -1)
        p = params[f'layer_{n}']['cell']
        carry = carries[n]
        if self.truncate:      # a Truncated cell's params sit under 'cell'; its carry has t
          p, (carry, t) = p['cell'], carry
        carry, h = cell.apply({'params': p}, carry, inp)
        if self.truncate:
          carry = (carry, t + 1)
        new.append(carry)
        outs.append(h)
      feats = jnp.concatenate(outs, -1) if self.output_skip else outs[-1]
      return tuple(new), feats
    return step

  @nn.nowrap
  def initial_carries(self, batch: int, input_features: int):
    """Zero carries for `batch` sequences (the carry `__call__` starts from)."""
    out = []
    for n in range(self.num_layers):
      width = input_features if (n == 0 or not self.input_skip) else (
          input_features + self.features)
      cell = make_cell(self.cell, self.features, forget_bias=self.forget_bias,
                       peepholes=self.peepholes, truncate=self.truncate)
      out.append(cell.initialize_carry(jax.random.key(0), (batch, width)))
    return tuple(out)


def graves_num_params(num_inputs: int, hidden: int, num_layers: int, num_outputs: int,
                      input_skip: bool = True, output_skip: bool = True,
                      peepholes: bool = True) -> int:
  """Weights of Graves' (2013) deep LSTM prediction network, counted from eqs. 1-11.

  Per layer n: 4H (in_n + H) weights, 4H biases and 3H peepholes, in_1 = I and
  in_n = H (+ I with input skips); the output layer (N H or H) O + O.
  """
  total = 0
  for n in range(num_layers):
    fan_in = num_inputs if n == 0 else hidden + (num_inputs if input_skip else 0)
    total += 4 * hidden * (fan_in + hidden) + 4 * hidden + (3 * hidden if peepholes else 0)
  readout = hidden * (num_layers if output_skip else 1)
  return total + readout * num_outputs + num_outputs
