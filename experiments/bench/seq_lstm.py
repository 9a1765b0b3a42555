"""LSTM language-model throughput: jaxgen's RNNLM against a plain `lax.scan` LSTM and flax's
`OptimizedLSTMCell`, side by side; and the cached sampler against re-reading the prefix.

  python experiments/bench/seq_lstm.py [--steps 20] [--hidden 512] [--batch 32] [--time 128]

Training rows: one jitted Adam step on byte windows (vocab 260, one-hot inputs, softmax
readout, mean token NLL), in tokens/s, with the ratio to the plain scan LSTM written here
(one fused [in + H, 4H] matmul per step, nothing else: the floor any LSTM library adds to).
Sampling rows: tokens/s of `sampling.sample_lm` (carries the state, O(T)) against
`sampling.sample_lm_naive` (re-runs the prefix for every token, O(T^2)), same key.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import _common  # pylint: disable=g-import-not-at-top,wrong-import-position

import flax.linen as nn  # pylint: disable=g-import-not-at-top,wrong-import-position
import jax  # pylint: disable=g-import-not-at-top,wrong-import-position
import jax.numpy as jnp  # pylint: disable=g-import-not-at-top,wrong-import-position
import optax  # pylint: disable=g-import-not-at-top,wrong-import-position

from jaxgen.models.seq import lm, rnn, sampling  # pylint: disable=g-import-not-at-top,wrong-import-position

V = 260


def _nll(logits, targets):
  return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), targets[..., None], -1))


def plain_scan_lstm(hidden):
  """A minimal LSTM LM: init(key) -> params, logits(params, tokens) -> [b, t, V]."""
  def init(key):
    k1, k2 = jax.random.split(key)
    return {'w': jax.random.normal(k1, (V + hidden, 4 * hidden)) * 0.02,
            'b': jnp.zeros(4 * hidden), 'wy': jax.random.normal(k2, (hidden, V)) * 0.02,
            'by': jnp.zeros(V)}

  def logits(p, tokens):
    x = jax.nn.one_hot(tokens, V).swapaxes(0, 1)
    b = tokens.shape[0]

    def step(carry, xt):
      c, h = carry
      z = jnp.concatenate([xt, h], -1) @ p['w'] + p['b']
      i, f, g, o = jnp.split(z, 4, -1)
      c = jax.nn.sigmoid(f + 1.0) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
      h = jax.nn.sigmoid(o) * jnp.tanh(c)
      return (c, h), h
    zeros = jnp.zeros((b, hidden))
    _, hs = jax.lax.scan(step, (zeros, zeros), x)
    return hs.swapaxes(0, 1) @ p['wy'] + p['by']
  return init, logits


def flax_optimized_lstm(hidden):
  class FlaxLM(nn.Module):
    @nn.compact
    def __call__(self, tokens):
      x = jax.nn.one_hot(tokens, V)
      h = nn.RNN(nn.OptimizedLSTMCell(hidden))(x)
      return nn.Dense(V)(h)
  m = FlaxLM()
  return (lambda key: m.init(key, jnp.zeros((1, 2), jnp.int32))['params'],
          lambda p, t: m.apply({'params': p}, t))


def jaxgen_lstm(hidden):
  m = lm.RNNLM(V, rnn.RNNStack('lstm', hidden), embed_dim=0)
  return (lambda key: m.init(key, jnp.zeros((1, 2), jnp.int32))['params'],
          lambda p, t: m.apply({'params': p}, t))


def train_row(name, make, hidden, batch, time_steps, steps, peer=None):
  init, logits = make(hidden)
  tx = optax.adam(1e-3)
  params = init(jax.random.key(0))
  opt = tx.init(params)
  tokens = jax.random.randint(jax.random.key(1), (batch, time_steps + 1), 4, V)

  @jax.jit
  def step(params, opt, tokens):
    loss, g = jax.value_and_grad(lambda p: _nll(logits(p, tokens[:, :-1]), tokens[:, 1:]))(params)
    u, opt = tx.update(g, opt, params)
    return optax.apply_updates(params, u), opt, loss
  _, compile_s = _common.timed(step, params, opt, tokens)
  _, sec = _common.timed(step, params, opt, tokens, repeats=steps)
  row = {'row': name, 'hidden': hidden, 'batch': batch, 'time': time_steps,
         'compile_s': compile_s, 'tokens_per_s': batch * time_steps / sec}
  if peer:
    row['ratio_to_plain_scan'] = row['tokens_per_s'] / peer['tokens_per_s']
  return row


def sample_rows(hidden, num, length):
  m = lm.RNNLM(V, rnn.RNNStack('lstm', hidden), embed_dim=0)
  prompt = jnp.full((num, 1), 14, jnp.int32)
  params = m.init(jax.random.key(0), prompt)['params']
  fast = jax.jit(lambda p, k: sampling.sample_lm(m.step_fn(), p, m.initial_carries(num), k,
                                                 prompt, length))
  naive = jax.jit(lambda p, k: sampling.sample_lm_naive(lambda q, t: m.apply({'params': q}, t),
                                                        p, k, prompt, length))
  rows = []
  for name, fn in (('sample_lm (cached)', fast), ('sample_lm_naive', naive)):
    _, compile_s = _common.timed(fn, params, jax.random.key(1))
    _, sec = _common.timed(fn, params, jax.random.key(1), repeats=2)
    rows.append({'row': name, 'hidden': hidden, 'batch': num, 'time': length,
                 'compile_s': compile_s, 'tokens_per_s': num * length / sec})
  rows[0]['ratio_to_naive'] = rows[0]['tokens_per_s'] / rows[1]['tokens_per_s']
  return rows


def main():
  p = _common.parser('seq_lstm', __doc__)
  p.add_argument('--steps', type=int, default=20)
  p.add_argument('--hidden', type=int, default=512)
  p.add_argument('--batch', type=int, default=32)
  p.add_argument('--time', type=int, default=128)
  p.add_argument('--sample_length', type=int, default=256)
  args = p.parse_args()
  peer = train_row('plain lax.scan LSTM', plain_scan_lstm, args.hidden, args.batch, args.time,
                   args.steps)
  peer['ratio_to_plain_scan'] = 1.0
  rows = [peer,
          train_row('flax nn.RNN(OptimizedLSTMCell)', flax_optimized_lstm, args.hidden,
                    args.batch, args.time, args.steps, peer),
          train_row('jaxgen RNNLM (LSTMCell)', jaxgen_lstm, args.hidden, args.batch, args.time,
                    args.steps, peer)]
  rows += sample_rows(args.hidden, 8, args.sample_length)
  _common.report('seq_lstm', rows, ['row', 'hidden', 'batch', 'time', 'compile_s',
                                    'tokens_per_s', 'ratio_to_plain_scan', 'ratio_to_naive'],
                 args.out)


if __name__ == '__main__':
  main()
