"""Interpolated n-gram language models: the count baselines a character RNN is measured against.

  P_0(c)          = 1 / V
  P_k(c | h_k)    = lambda_k * ML_k(c | h_k) + (1 - lambda_k) * P_{k-1}(c | h_{k-1})

with ML_k the maximum-likelihood estimate from counts of the k-gram (history h_k: the previous
k - 1 tokens), taken to be P_{k-1} where the history was never seen: Jelinek & Mercer's
(1980) deleted interpolation. The lambdas are fitted by EM on held-out text, one order at a
time from the unigram up (each fit is concave in its lambda), on a tenth of the training
windows held out from the counts; the counts are then taken on all of them.

The models read the same windows the networks do (`jaxgen.data.text.windows`: inputs
`w[:-1]`, targets `w[1:]`, `length` real tokens), and a target's history stops at its window's
start (missing history tokens are BOS), so an n-gram and an RNN see the same context and
predict the same targets: the bits per token of both are computed on the same positions.
No library fits interpolated character n-grams over these windows (nltk's `lm` module
scores one sequence at a time in Python); this one is vectorised numpy.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from jaxgen.data.text import BOS


def _targets_and_histories(tokens: np.ndarray, lengths: np.ndarray, order: int):
  """(targets [m], histories [m, order - 1]) of every real target of every window."""
  tokens = np.asarray(tokens, np.int64)
  n, width = tokens.shape
  pos = np.arange(1, width)
  valid = pos[None, :] < np.asarray(lengths)[:, None]
  rows, cols = np.nonzero(valid)
  cols = cols + 1
  targets = tokens[rows, cols]
  hist = np.full((len(rows), order - 1), BOS, np.int64)
  for j in range(1, order):            # hist[:, -j] is the token j places back
    back = cols - j
    ok = back >= 0
    hist[ok, order - 1 - j] = tokens[rows[ok], back[ok]]
  return targets, hist


def _keys(hist: np.ndarray, vocab_size: int) -> np.ndarray:
  key = np.zeros(len(hist), np.int64)
  for j in range(hist.shape[1]):
    key = key * vocab_size + hist[:, j]
  return key


@dataclasses.dataclass
class _Counts:
  """k-gram and history counts as sorted keys (looked up with searchsorted)."""
  gram_keys: np.ndarray
  gram_counts: np.ndarray
  hist_keys: np.ndarray
  hist_counts: np.ndarray

  @staticmethod
  def fit(targets, hist, vocab_size):
    h = _keys(hist, vocab_size)
    g = h * vocab_size + targets
    gk, gc = np.unique(g, return_counts=True)
    hk, hc = np.unique(h, return_counts=True)
    return _Counts(gk, gc, hk, hc)

  @staticmethod
  def _lookup(keys, counts, query):
    i = np.clip(np.searchsorted(keys, query), 0, max(len(keys) - 1, 0))
    found = (keys[i] == query) if len(keys) else np.zeros(len(query), bool)
    return np.where(found, counts[i] if len(keys) else 0, 0)

  def ml(self, targets, hist, vocab_size):
    """(ML estimate [m], history seen [m])."""
    h = _keys(hist, vocab_size)
    hc = self._lookup(self.hist_keys, self.hist_counts, h)
    gc = self._lookup(self.gram_keys, self.gram_counts, h * vocab_size + targets)
    return gc / np.maximum(hc, 1), hc > 0


class InterpolatedNGram:
  """An order-n interpolated n-gram over token windows (see the module docstring).

  Args:
    order: n (3: the interpolated trigram; 1: the unigram, interpolated with uniform).
    vocab_size: V, the size of the uniform floor.
  """

  def __init__(self, order: int, vocab_size: int):
    if order < 1:
      raise ValueError(f'order must be >= 1, got {order}.')
    self.order, self.vocab_size = int(order), int(vocab_size)
    self.counts: list[_Counts] = []
    self.lambdas = np.zeros(self.order)

  def _fit_counts(self, targets, hist):
    return [_Counts.fit(targets, hist[:, hist.shape[1] - k + 1:] if k > 1 else hist[:, :0],
                        self.vocab_size) for k in range(1, self.order + 1)]

  def _level_probs(self, counts, targets, hist, lambdas, upto):
    """P_k for k = 0..upto on (targets, hist); returns the list [P_0, ..., P_upto]."""
    p = [np.full(len(targets), 1.0 / self.vocab_size)]
    for k in range(1, upto + 1):
      h = hist[:, hist.shape[1] - k + 1:] if k > 1 else hist[:, :0]
      ml, seen = counts[k - 1].ml(targets, h, self.vocab_size)
      ml = np.where(seen, ml, p[-1])
      p.append(lambdas[k - 1] * ml + (1.0 - lambdas[k - 1]) * p[-1])
    return p

  def fit(self, tokens: np.ndarray, lengths: np.ndarray, heldout_fraction: float = 0.1,
          seed: int = 0, iterations: int = 30) -> InterpolatedNGram:
    """Counts from the windows `tokens` [n, L + 1] (`lengths` [n]); lambdas by EM held out."""
    tokens, lengths = np.asarray(tokens), np.asarray(lengths)
    n = len(tokens)
    perm = np.random.default_rng(seed).permutation(n)
    m = max(1, int(round(n * heldout_fraction))) if n > 1 else 0
    held, kept = perm[:m], perm[m:] if m < n else perm
    t_fit, h_fit = _targets_and_histories(tokens[kept], lengths[kept], self.order)
    t_held, h_held = _targets_and_histories(tokens[held], lengths[held], self.order)
    counts = self._fit_counts(t_fit, h_fit)
    lambdas = np.full(self.order, 0.5)
    for k in range(1, self.order + 1):         # EM for lambda_k given the lower orders
      lower = self._level_probs(counts, t_held, h_held, lambdas, k - 1)[-1]
      h = h_held[:, h_held.shape[1] - k + 1:] if k > 1 else h_held[:, :0]
      ml, seen = counts[k - 1].ml(t_held, h, self.vocab_size)
      ml = np.where(seen, ml, lower)
      lam = 0.5
      for _ in range(iterations):
        post = lam * ml / np.maximum(lam * ml + (1 - lam) * lower, 1e-300)
        lam = float(np.clip(post.mean(), 1e-6, 1 - 1e-6))
      lambdas[k - 1] = lam
    self.lambdas = lambdas
    t_all, h_all = _targets_and_histories(tokens, lengths, self.order)
    self.counts = self._fit_counts(t_all, h_all)
    return self

  def log_probs(self, tokens: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Natural-log probabilities of every real target of the windows, [m] (window order)."""
    if not self.counts:
      raise ValueError('InterpolatedNGram: call fit() before log_probs().')
    t, h = _targets_and_histories(tokens, lengths, self.order)
    return np.log(self._level_probs(self.counts, t, h, self.lambdas, self.order)[-1])

  def bits_per_token(self, tokens: np.ndarray, lengths: np.ndarray) -> float:
    """Mean -log2 P over every real target of the windows."""
    return float(-np.mean(self.log_probs(tokens, lengths)) / np.log(2.0))


def baselines(train: dict, test: dict, vocab_size: int, orders=(1, 3)) -> dict[str, float]:
  """{'unigram_bits': ..., 'trigram_bits': ...}: n-grams fitted on train, scored on test.

  `train` and `test` are dicts with 'tokens' [n, L + 1] and 'length' [n] (a text source's
  arrays).
  """
  names = {1: 'unigram', 2: 'bigram', 3: 'trigram'}
  out = {}
  for order in orders:
    model = InterpolatedNGram(order, vocab_size).fit(train['tokens'], train['length'])
    out[f'{names.get(order, f"{order}gram")}_bits'] = model.bits_per_token(
        test['tokens'], test['length'])
  return out
