"""Recurrent cells and stacks: flax parity, forget bias, peepholes, masking, bidirectional
padding, truncated BPTT, Graves' deep-RNN parameter count."""
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgen.models.seq import lm, rnn

B, T, F, H = 3, 7, 5, 6


def _x(seed=0, shape=(B, T, F)):
  return jax.random.normal(jax.random.key(seed), shape)


def test_lstm_cell_matches_flax_lstm_cell():
  """Without peepholes and with forget_bias 0 our fused cell is flax's LSTMCell."""
  cell = rnn.LSTMCell(H, forget_bias=0.0)
  x, carry = _x()[:, 0], (_x(1, (B, H)), _x(2, (B, H)))
  p = cell.init(jax.random.key(3), carry, x)['params']
  wi, bi, wh = p['input']['kernel'], p['input']['bias'], p['recurrent']['kernel']
  flax_p = {}
  for g, name in enumerate('ifgo'):
    sl = slice(g * H, (g + 1) * H)
    flax_p[f'i{name}'] = {'kernel': wi[:, sl]}
    flax_p[f'h{name}'] = {'kernel': wh[:, sl], 'bias': bi[sl]}
  ref = nn.LSTMCell(H).apply({'params': flax_p}, carry, x)
  got = cell.apply({'params': p}, carry, x)
  np.testing.assert_allclose(got[0][0], ref[0][0], atol=1e-6)
  np.testing.assert_allclose(got[0][1], ref[0][1], atol=1e-6)


def test_lstm_forget_bias_and_peepholes_numpy_reference():
  cell = rnn.LSTMCell(H, forget_bias=1.0, peepholes=True)
  x, (c, h) = np.asarray(_x()[:, 0]), (np.asarray(_x(1, (B, H))), np.asarray(_x(2, (B, H))))
  p = cell.init(jax.random.key(3), (c, h), x)['params']
  p = jax.tree.map(lambda a: a + 0.3 * jax.random.normal(jax.random.key(4), a.shape), p)
  pn = jax.tree.map(np.asarray, p)
  z = x @ pn['input']['kernel'] + pn['input']['bias'] + h @ pn['recurrent']['kernel']
  zi, zf, zg, zo = np.split(z, 4, -1)
  sig = lambda a: 1 / (1 + np.exp(-a))
  i = sig(zi + pn['peephole_i'] * c)
  f = sig(zf + pn['peephole_f'] * c + 1.0)
  c2 = f * c + i * np.tanh(zg)
  h2 = sig(zo + pn['peephole_o'] * c2) * np.tanh(c2)
  (gc, gh), out = cell.apply({'params': p}, (c, h), x)
  np.testing.assert_allclose(gc, c2, atol=1e-5)
  np.testing.assert_allclose(gh, h2, atol=1e-5)
  np.testing.assert_allclose(out, h2, atol=1e-5)


@pytest.mark.parametrize('cell', ['elman', 'lstm', 'gru'])
def test_bidirectional_padded_equals_each_sequence_alone(cell):
  lengths = jnp.array([7, 3, 5])
  layer = rnn.RNNLayer(cell, H, bidirectional=True)
  x = _x()
  p = layer.init(jax.random.key(1), x, lengths)
  y, _ = layer.apply(p, x, lengths)
  assert y.shape == (B, T, 2 * H)
  for b in range(B):
    n = int(lengths[b])
    alone, _ = layer.apply(p, x[b:b + 1, :n])
    np.testing.assert_allclose(y[b, :n], alone[0], atol=1e-5)
    np.testing.assert_array_equal(y[b, n:], 0.0)
    # The backward half at position 0 has read the whole (unpadded) sequence: it changes
    # when the last real token changes, and not when a padded one does.
    x_pad = x.at[b, n:].set(9.0) if n < T else x
    np.testing.assert_allclose(layer.apply(p, x_pad, lengths)[0], y, atol=1e-6)


def test_masked_outputs_are_zero_and_leave_the_loss_unchanged():
  from jaxgen.models.seq.task import LMTask
  from jaxgen.data.text import Vocab
  import ml_collections
  c = ml_collections.ConfigDict({'task': 'seq', 'model': {'kind': 'lm', 'cell': 'lstm',
                                                          'features': 8, 'embed_dim': 4},
                                 'optimizer': {'name': 'adam'}, 'num_steps': 1})
  info = {'vocab': Vocab.bytes(), 'features': {'tokens': ((9,), 'int32'),
                                               'length': ((), 'int32')}}
  task = LMTask(c, info)
  tokens = jax.random.randint(jax.random.key(0), (2, 9), 4, 260)
  batch = {'tokens': tokens, 'length': jnp.array([9, 5])}
  params = task.init(jax.random.key(1), batch).params
  nll, mask = task.token_nll(params, batch)
  assert np.asarray(mask).sum() == 8 + 4
  np.testing.assert_array_equal(np.asarray(nll)[1, 4:], 0.0)
  changed = dict(batch, tokens=tokens.at[1, 5:].set(7))
  np.testing.assert_allclose(task.token_nll(params, changed)[0], nll, atol=1e-6)
  np.testing.assert_allclose(task.loss(params, {}, changed, None)[0],
                             task.loss(params, {}, batch, None)[0], atol=1e-6)


def test_mask_outputs_zeroes_past_lengths():
  y = jnp.ones((2, 4, 3))
  out = rnn.mask_outputs(y, jnp.array([4, 1]))
  np.testing.assert_array_equal(out[0], 1.0)
  np.testing.assert_array_equal(out[1, :1], 1.0)
  np.testing.assert_array_equal(out[1, 1:], 0.0)


@pytest.mark.parametrize('cell', ['elman', 'lstm'])
def test_truncated_bptt_stops_gradients_every_k_steps(cell):
  k = 3
  full = rnn.RNNLayer(cell, H)
  trunc = rnn.RNNLayer(cell, H, truncate=k)
  x = _x(shape=(1, T, F))
  p = full.init(jax.random.key(1), x)['params']
  pt = trunc.init(jax.random.key(1), x)['params']
  pt = {'cell': {'cell': p['cell']}}          # the same weights
  yf = full.apply({'params': p}, x)[0]
  yt = trunc.apply({'params': pt}, x)[0]
  np.testing.assert_allclose(yt, yf, atol=1e-6)       # forward unchanged
  jac = jax.jacrev(lambda v: trunc.apply({'params': pt}, v)[0].sum(-1))(x)  # [1,T,1,T,F]
  dep = np.abs(np.asarray(jac)[0, :, 0]).sum(-1) > 0  # [T out, T in]
  for s in range(T):
    for r in range(T):
      expect = (r <= s) and (r >= k * (s // k))
      assert dep[s, r] == expect, (s, r)


def test_lm_is_causal_in_time():
  from jaxgen.testing import causality
  net = rnn.RNNStack('lstm', H, num_layers=2)
  x = _x(shape=(1, T, F))
  draws = [net.init(jax.random.key(i), x)['params'] for i in range(2)]
  causality.assert_causal_in_time(lambda p, v: net.apply({'params': p}, v)[0], x,
                                  param_draws=draws)


def test_deep_stack_skip_connections_widen_layer_inputs():
  net = rnn.RNNStack('lstm', H, num_layers=3, input_skip=True, output_skip=True)
  x = _x()
  p = net.init(jax.random.key(0), x)['params']
  assert p['layer_0']['cell']['input']['kernel'].shape == (F, 4 * H)
  assert p['layer_2']['cell']['input']['kernel'].shape == (F + H, 4 * H)
  feats, carries = net.apply({'params': p}, x)
  assert feats.shape == (B, T, 3 * H) and len(carries) == 3
  plain = rnn.RNNStack('lstm', H, num_layers=3, input_skip=False, output_skip=False)
  pp = plain.init(jax.random.key(0), x)['params']
  assert pp['layer_2']['cell']['input']['kernel'].shape == (H, 4 * H)
  assert plain.apply({'params': pp}, x)[0].shape == (B, T, H)


def _count(tree):
  return sum(int(np.prod(a.shape)) for a in jax.tree.leaves(tree))


def test_parameter_count_of_graves_penn_treebank_character_network():
  """Graves (2013), Sec. 3.1: one hidden layer of 1000 LSTM cells (peepholes), 49 one-hot
  inputs and outputs, "approximately 4.3M weights"."""
  stack = rnn.RNNStack('lstm', 1000, num_layers=1, peepholes=True)
  net = lm.RNNLM(49, stack, embed_dim=0)
  shapes = jax.eval_shape(lambda: net.init(jax.random.key(0), jnp.zeros((1, 2), jnp.int32)))
  n = _count(shapes['params'])
  assert n == rnn.graves_num_params(49, 1000, 1, 49) == 4_252_049
  assert round(n / 1e6, 1) == 4.3


def test_parameter_count_of_skip_connected_deep_lstm_matches_the_formula():
  stack = rnn.RNNStack('lstm', 16, num_layers=3, peepholes=True)
  net = lm.RNNLM(11, stack, embed_dim=0)
  shapes = jax.eval_shape(lambda: net.init(jax.random.key(0), jnp.zeros((1, 2), jnp.int32)))
  assert _count(shapes['params']) == rnn.graves_num_params(11, 16, 3, 11)


def test_unknown_cell_is_one_clear_error():
  with pytest.raises(ValueError, match="Unknown cell 'rnn'"):
    rnn.make_cell('rnn', 4)
