"""Character language models: the fast sampler equals the naive one, causality, the n-gram
baselines against brute force, the fortunes windows, and a tiny config that beats the
interpolated trigram on held-out text."""
import collections
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgen.data import text
from jaxgen.eval import ngram
from jaxgen.models.seq import lm, rnn, sampling
from jaxgen.testing.sampling import assert_same_samples

V = 12


@pytest.mark.parametrize('kw', [dict(cell='lstm', num_layers=2, peepholes=True),
                                dict(cell='elman', num_layers=1),
                                dict(cell='gru', num_layers=2, input_skip=False,
                                     output_skip=False),
                                dict(cell='lstm', num_layers=1, truncate=2)],
                         ids=['deep_lstm', 'elman', 'gru_plain', 'lstm_truncated'])
def test_fast_sampler_equals_naive_for_the_same_key(kw):
  net = lm.RNNLM(V, rnn.RNNStack(features=8, **kw), embed_dim=5 if kw['cell'] != 'elman' else 0)
  prompt = jnp.array([[3, 4, 5], [6, 7, 8]], jnp.int32)
  params = net.init(jax.random.key(0), prompt)['params']
  params = jax.tree.map(lambda a: a * 3.0, params)     # sharper, less uniform logits
  fast = jax.jit(lambda p, k: sampling.sample_lm(net.step_fn(), p, net.initial_carries(2), k,
                                                 prompt, 10))
  naive = jax.jit(lambda p, k: sampling.sample_lm_naive(
      lambda q, t: net.apply({'params': q}, t), p, k, prompt, 10))
  assert_same_samples(fast, naive, params, jax.random.key(7))
  greedy_fast = sampling.sample_lm(net.step_fn(), params, net.initial_carries(2),
                                   jax.random.key(0), prompt, 6, temperature=0.0)
  greedy_naive = sampling.sample_lm_naive(lambda q, t: net.apply({'params': q}, t), params,
                                          jax.random.key(1), prompt, 6, temperature=0.0)
  np.testing.assert_array_equal(greedy_fast, greedy_naive)


def test_lm_logits_are_causal_in_the_tokens():
  net = lm.RNNLM(V, rnn.RNNStack('lstm', 8, num_layers=2), embed_dim=0)
  tokens = jnp.array([[1, 5, 3, 9, 2, 4]])
  params = net.init(jax.random.key(0), tokens)['params']
  onehot = jax.nn.one_hot(tokens, V)

  def logits_of(x):          # through the one-hot inputs (embed_dim=0): d logits / d x
    stack = net.stack
    feats, _ = stack.apply({'params': params['stack']}, x)
    return feats @ params['readout']['kernel']
  jac = jax.jacrev(logits_of)(onehot)[0, :, :, 0].sum(-1)   # [T, V, T, V] -> [T, V, T]
  dep = np.abs(np.asarray(jac)).sum(1) > 0
  np.testing.assert_array_equal(dep, np.tril(np.ones((6, 6), bool)))


def _brute_force_interpolated(tokens, lengths, test_tokens, test_lengths, lambdas, order, v):
  """Dict-of-counts reference of the recursive Jelinek-Mercer model with given lambdas."""
  def events(toks, lens):
    for w, n in zip(toks, lens):
      for j in range(1, n):
        hist = tuple(int(w[j - i]) if j - i >= 0 else text.BOS for i in range(order - 1, 0, -1))
        yield hist, int(w[j])
  counts = [collections.Counter() for _ in range(order)]
  hists = [collections.Counter() for _ in range(order)]
  for hist, c in events(tokens, lengths):
    for k in range(1, order + 1):
      h = hist[len(hist) - k + 1:] if k > 1 else ()
      counts[k - 1][h + (c,)] += 1
      hists[k - 1][h] += 1
  total = 0.0
  m = 0
  for hist, c in events(test_tokens, test_lengths):
    p = 1.0 / v
    for k in range(1, order + 1):
      h = hist[len(hist) - k + 1:] if k > 1 else ()
      ml = counts[k - 1][h + (c,)] / hists[k - 1][h] if hists[k - 1][h] else p
      p = lambdas[k - 1] * ml + (1 - lambdas[k - 1]) * p
    total += math.log(p)
    m += 1
  return total / m


def test_interpolated_trigram_matches_a_brute_force_reference():
  rng = np.random.default_rng(0)
  tokens = rng.integers(4, 9, size=(30, 9)).astype(np.int32)
  lengths = rng.integers(2, 10, size=30).astype(np.int32)
  test_t = rng.integers(4, 10, size=(8, 9)).astype(np.int32)       # 9: never seen in train
  test_l = np.full(8, 9, np.int32)
  model = ngram.InterpolatedNGram(3, 10).fit(tokens, lengths)
  assert np.all((model.lambdas > 0) & (model.lambdas < 1))
  ref = _brute_force_interpolated(tokens, lengths, test_t, test_l, model.lambdas, 3, 10)
  np.testing.assert_allclose(model.log_probs(test_t, test_l).mean(), ref, rtol=1e-10)


def test_ngram_distribution_sums_to_one_over_the_vocabulary():
  rng = np.random.default_rng(1)
  tokens = rng.integers(4, 8, size=(20, 6)).astype(np.int32)
  model = ngram.InterpolatedNGram(3, 8).fit(tokens, np.full(20, 6))
  hist = [5, 6]
  cand = np.array([hist + [c] for c in range(8)], np.int32)
  p = np.exp(model.log_probs(cand, np.full(8, 3)).reshape(8, 2)[:, 1])
  np.testing.assert_allclose(p.sum(), 1.0, rtol=1e-9)


def test_windows_make_every_token_a_target_once():
  ids = np.arange(4, 4 + 23)
  w, n = text.windows(ids, 5)
  assert w.shape == (5, 6)
  targets = np.concatenate([w[i, 1:n[i]] for i in range(len(w))])
  np.testing.assert_array_equal(targets, ids[1:])
  np.testing.assert_array_equal(w[1:, 0], w[:-1, -1])     # overlap by one token


def test_byte_vocab_round_trip():
  v = text.Vocab.bytes()
  s = 'Mañana,\n\tdear %'
  assert v.decode(v.encode(s)) == s
  assert len(v) == 260 and min(v.encode(s)) >= 4


def test_fortunes_splits_hold_out_whole_fortunes():
  fortunes = text.read_fortunes()
  assert len(fortunes) > 14_000
  where = collections.defaultdict(set)
  for f in fortunes:
    s = text.split_of(f, (text.TEST_FRACTION, 0.0))
    if s != 'test' and text.split_of(f, (0.1, 0.0), salt='validation-0') == 'test':
      s = 'validation'
    where[f].add(s)
  assert all(len(s) == 1 for s in where.values())
  from jaxgen.data import registry
  test = registry.load('fortunes', 'test')
  train = registry.load('fortunes', 'train', validation_fraction=0.1)
  val = registry.load('fortunes', 'validation', validation_fraction=0.1)
  n = [s.info['num_chars'] for s in (train, val, test)]
  assert 0.07 < n[2] / sum(n) < 0.13 and 0.07 < n[1] / sum(n) < 0.13
  with pytest.raises(ValueError, match='validation_fraction'):
    registry.load('fortunes', 'validation')


def test_gcide_text_holds_out_whole_entries():
  entries = text.read_gcide_entries()
  assert len(entries) > 100_000 and entries[0].startswith('A \\A\\')
  from jaxgen.data import registry
  test = registry.load('gcide_text', 'test', max_eval_chars=20_000)
  assert test.info['num_chars'] == 20_000
  body = test.info['vocab'].decode(np.concatenate([w[1:n] for w, n in zip(
      test.arrays['tokens'], test.arrays['length'])]), stop_at_eos=False)
  first = next(e for e in entries if text.split_of(e, (0.1, 0.0), salt='gcide-text') == 'test')
  assert body.startswith(first[1:])        # the stream's first byte is no window's target


@pytest.mark.learning
def test_tiny_lstm_lm_beats_the_interpolated_trigram_on_held_out_fortunes(tmp_path):
  from jaxgen import experiments
  config = experiments.get_config('charlm_fortunes:tiny')
  config.progress = False
  out = experiments.train_and_evaluate(config, str(tmp_path))
  lstm, trigram = out['eval/bits_per_char'], out['final/trigram_bits_per_char']
  assert out['final/unigram_bits_per_char'] > trigram > 3.0
  # Measured: 3.13 bits/char against the trigram's 3.33 (both on 100k characters of train).
  assert lstm < trigram - 0.1, (lstm, trigram)
  samples = (tmp_path / 'samples' / 'final.txt').read_text()
  assert samples.count('\n') >= 1


def test_killed_lm_run_resumes_to_the_same_parameters(tmp_path):
  from jaxgen import experiments
  config = experiments.get_config('charlm_fortunes:tiny,arch=deep_lstm')
  config.progress = False
  config.num_steps, config.checkpoint_every, config.eval_every = 6, 3, 0
  config.num_samples = 0
  config.model.dropout = 0.1                    # the dropout keys replay too
  config.data.kwargs.max_chars = 20_000
  config.model.baseline_orders = (1,)
  experiments.train_and_evaluate(config, str(tmp_path / 'full'))
  assert experiments.train_and_evaluate(config, str(tmp_path / 'killed'), stop_after=4) == {}
  experiments.train_and_evaluate(config, str(tmp_path / 'killed'))
  _, a = experiments.load_state(config, str(tmp_path / 'full'))
  _, b = experiments.load_state(config, str(tmp_path / 'killed'))
  for x, y in zip(jax.tree.leaves(a.params), jax.tree.leaves(b.params)):
    np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
