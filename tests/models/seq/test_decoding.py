"""Greedy, temperature and beam-search decoding over a generic step function.

The toy decoder's next-token distribution depends on the whole prefix through its state (a
hash of the tokens so far), so a beam search that gathered the state from the wrong beam
would score the wrong sequences; small enough (4 tokens, 4 steps) to enumerate every output.
"""
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgen.models.seq import sampling

V, L, EOS, BOS = 5, 4, 2, 1
BATCH = 4


def _table(seed):
  rng = np.random.default_rng(seed)
  t = rng.normal(size=(11, V, V)) * 1.5
  t[..., BOS] = -30.0                      # neither BOS nor PAD is ever generated
  t[..., sampling.PAD_ID] = -30.0
  t[:2, :, EOS] -= 2.0                     # short outputs are less likely
  return jnp.asarray(t, jnp.float32)


def _step(table):
  def step(tokens, state):
    logits = table[state % 11, tokens]
    return jax.nn.log_softmax(logits), (state * 3 + tokens + 1) % 11, logits[:, :2]
  return step


def _brute_force(table, state0, alpha):
  """The best EOS-terminated output of at most L tokens by log p / lp, by enumeration."""
  step = _step(table)
  best = (-np.inf, None)
  for n in range(1, L + 1):
    for seq in itertools.product([t for t in range(V) if t not in (BOS, 0)], repeat=n):
      if seq[-1] != EOS or EOS in seq[:-1]:
        continue
      state, tok, lp = jnp.array([state0]), jnp.array([BOS]), 0.0
      for s in seq:
        logp, state, _ = step(tok, state)
        lp += float(logp[0, s])
        tok = jnp.array([s])
      score = lp / float(sampling.length_penalty(n, alpha))
      if score > best[0]:
        best = (score, seq)
  return best


STATES = jnp.array([0, 3, 5, 8])


@pytest.mark.parametrize('alpha', [0.0, 0.6, 1.5])
def test_wide_beam_finds_the_exact_best_output(alpha):
  table = _table(0)
  step = _step(table)
  beam = jax.jit(lambda s: sampling.beam_search(lambda t, st: step(t, st)[:2], s,
                                                jnp.full((BATCH,), BOS), 64, L, EOS, alpha))
  seqs, scores = beam(STATES)
  seqs, scores = np.asarray(seqs), np.asarray(scores)
  lengths = []
  for b in range(BATCH):
    score, seq = _brute_force(table, int(STATES[b]), alpha)
    np.testing.assert_allclose(scores[b, 0], score, rtol=1e-5)
    np.testing.assert_array_equal(seqs[b, 0, :len(seq)], seq)
    assert np.all(seqs[b, 0, len(seq):] == sampling.PAD_ID)
    assert np.all(np.diff(scores[b]) <= 1e-6)             # best first
    lengths.append(len(seq))
  assert max(lengths) > 1                                  # not a trivial problem


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_beam_of_one_without_length_penalty_is_greedy(seed):
  step = _step(_table(seed))
  start = jnp.full((BATCH,), BOS)
  g, aux = sampling.greedy(step, STATES, start, L, EOS)
  b, _ = sampling.beam_search(lambda t, s: step(t, s)[:2], STATES, start, 1, L, EOS, 0.0)
  np.testing.assert_array_equal(b[:, 0], g)
  assert aux.shape == (BATCH, L, 2)                       # the step's aux, stacked over time


def test_a_small_beam_scores_no_worse_than_greedy_here():
  table = _table(4)
  step = _step(table)
  start = jnp.full((BATCH,), BOS)
  g, _ = sampling.greedy(step, STATES, start, L, EOS)
  _, scores = sampling.beam_search(lambda t, s: step(t, s)[:2], STATES, start, 3, L, EOS, 0.0)

  def logp(seq, state0):
    state, tok, lp = jnp.array([state0]), jnp.array([BOS]), 0.0
    for s in seq:
      lq, state, _ = step(tok, state)
      lp += float(lq[0, s])
      if s == EOS:
        break
      tok = jnp.array([s])
    return lp
  ended = [b for b in range(BATCH) if EOS in np.asarray(g[b]).tolist()]
  assert ended
  for b in ended:                               # greedy outputs that are whole sequences
    assert scores[b, 0] >= logp(np.asarray(g[b]), int(STATES[b])) - 1e-5


def test_greedy_emits_pad_after_eos_and_temperature_zero_is_greedy():
  step = _step(_table(1))
  start = jnp.full((BATCH,), BOS)
  g, _ = sampling.greedy(step, STATES, start, L, EOS)
  g = np.asarray(g)
  for row in g:
    if EOS in row.tolist():
      assert np.all(row[row.tolist().index(EOS) + 1:] == sampling.PAD_ID)
  cold, _ = sampling.sample(step, STATES, start, L, EOS, jax.random.key(0), temperature=1e-4)
  np.testing.assert_array_equal(cold, g)


def test_temperature_sampling_draws_from_the_tempered_softmax():
  logits = jnp.array([1.0, -0.5, 0.3, 2.0, 0.0])
  step = lambda tokens, state: (jnp.broadcast_to(logits, (tokens.shape[0], V)), state)
  n, temp = 20_000, 2.0
  tokens, _ = jax.jit(lambda k: sampling.sample(step, jnp.zeros((n,)), jnp.zeros((n,), jnp.int32),
                                                1, EOS, k, temperature=temp))(jax.random.key(0))
  freq = np.bincount(np.asarray(tokens[:, 0]), minlength=V) / n
  p = np.asarray(jax.nn.softmax(logits / temp))
  np.testing.assert_allclose(freq, p, atol=4 * np.sqrt(p * (1 - p) / n).max())


def test_length_penalty_is_wu_et_al():
  np.testing.assert_allclose(sampling.length_penalty(jnp.array([1, 7]), 0.6),
                             [1.0, 2.0 ** 0.6], rtol=1e-6)
  with pytest.raises(ValueError, match='beam_size'):
    sampling.beam_search(lambda t, s: (t, s), STATES, STATES, 0, L, EOS)
